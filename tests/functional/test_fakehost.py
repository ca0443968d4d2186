"""
Reuse without forking: a second city runs the ``fahrplan`` package and extends it (issue #3).

The fake host in ``tests/fakehost`` ("Musterstadt") subclasses the package's measure skeleton to add a
``council_decision`` bone and overrides one hook of the package's measure module (``check_change``: no
publication without a council decision). These tests drive it end to end over HTTP, the way vi-admin
does, and check that the package's own behaviour (derived progress, roll-ups, history, rights) still
works around the extension.

The host runs in a gunicorn process of its own, against its own Firestore emulator and storage stub:
viur-core's configuration is global, and this test process may already have imported ``deploy/main.py``.
"""

import contextlib
import fnmatch
import re
import secrets
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
import requests

from tests.support import BASE_ENVIRON
from tools import emulators

FAKEHOST = emulators.ROOT / "tests" / "fakehost"
"""The fake host app's folder (its working directory, like ``deploy/`` for Dortmund)."""

PROJECT_ID = "musterstadt-fakehost-test"
"""The project the fake host runs as; its ``main.py`` only accepts ``musterstadt-*``."""

ADMIN_LOGIN = re.compile(r"Username: (?P<name>\S+@\S+?)\s*\n\s*Password: (?P<password>[A-Za-z0-9]+)")
"""viur-core's log line announcing the admin it creates on an empty database (possibly in colour)."""

pytestmark = pytest.mark.functional


def tail(path: Path, lines: int = 60) -> str:
    """The last ``lines`` lines of a log file (for failure messages)."""
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Session:
    """One browser-like HTTP session against the fake host: keeps cookies, sends an skey with every POST."""

    def __init__(self, url: str, log: Path):
        self.url = url
        self.log = log
        self.http = requests.Session()

    def get(self, path: str, **params) -> t.Any:
        """GET ``path`` and decode its JSON answer (asserting a 200)."""
        response = self.http.get(self.url + path, params=params or None, timeout=30)
        assert response.status_code == 200, self.explain(response)
        return response.json()

    def post(self, path: str, data: dict[str, t.Any] | None = None) -> requests.Response:
        """POST form data to ``path`` with a fresh skey; the response, whatever its status."""
        skey = self.get("/json/skey")
        return self.http.post(self.url + path, data={**(data or {}), "skey": skey}, timeout=30)

    def post_json(self, path: str, data: dict[str, t.Any] | None = None) -> t.Any:
        """POST and decode the JSON answer of a request that must answer 200."""
        response = self.post(path, data)
        assert response.status_code == 200, self.explain(response)
        return response.json()

    def add(self, module: str, **values) -> dict[str, t.Any]:
        """Add an entry through vi-admin's endpoint; its stored values."""
        answer = self.post_json(f"/vi/{module}/add", values)
        assert answer["action"] == "addSuccess", answer.get("errors", answer)
        return answer["values"]

    def login(self, name: str, password: str) -> None:
        answer = self.post_json("/vi/user/auth_userpassword/login", {"name": name, "password": password})
        assert answer["action"] == "login_success", answer

    def explain(self, response: requests.Response) -> str:
        """A failure message: the response and the tail of gunicorn's log."""
        request = f"{response.request.method} {response.url}"
        return f"{request} → HTTP {response.status_code}: {response.text[:500]}\n--- gunicorn log ---\n{tail(self.log)}"


class Host(t.NamedTuple):
    """The running fake host: its base URL, the file gunicorn logs to, and the start-up admin's login."""

    url: str
    log: Path
    admin: tuple[str, str]

    def session(self) -> Session:
        """A new anonymous session."""
        return Session(self.url, self.log)

    def root(self) -> Session:
        """A new session, logged in as the start-up admin (root)."""
        session = self.session()
        session.login(*self.admin)
        return session


def startup_admin(log: Path, timeout: float = 30) -> tuple[str, str]:
    """The admin login viur-core's start-up task creates on an empty database and logs at WARNING."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if match := ADMIN_LOGIN.search(log.read_text(errors="replace")):
            return match["name"], match["password"]
        time.sleep(0.2)
    pytest.fail(f"viur-core logged no start-up admin within {timeout:.0f} s:\n{tail(log)}")


@pytest.fixture(scope="module")
def musterstadt(tmp_path_factory) -> t.Iterator[Host]:
    """The fake host served by gunicorn from ``tests/fakehost``, on an empty database of its own."""
    assert fnmatch.fnmatch(PROJECT_ID, "musterstadt-*")
    try:
        emulators.find_firestore_emulator()
    except emulators.MissingDependency as exc:
        pytest.fail(str(exc))
    base = tmp_path_factory.mktemp("fakehost")
    log = base / "gunicorn.log"
    port = emulators.free_port()
    with contextlib.ExitStack() as stack:
        firestore = emulators.FirestoreEmulator(log_path=base / "firestore.log").start()
        stack.callback(firestore.stop)
        storage = emulators.StorageStub(PROJECT_ID).start()
        stack.callback(storage.stop)
        credentials = emulators.write_fake_credentials(base / "fake-credentials.json")
        env = {**BASE_ENVIRON, **emulators.app_environment(PROJECT_ID, firestore.host, storage.url, credentials)}
        command = [
            sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4",
            "--chdir", str(FAKEHOST), "main:app",
        ]  # fmt: skip
        with log.open("ab") as output:
            server = subprocess.Popen(
                command, cwd=FAKEHOST, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        stack.callback(emulators.terminate_group, server, 5.0, signal.SIGINT)
        url = f"http://127.0.0.1:{port}"
        try:
            emulators.wait_for_http(url + "/json/skey", timeout=120, process=server)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n--- gunicorn log ---\n{tail(log)}")
        yield Host(url, log, startup_admin(log))


def reference_data(root: Session) -> dict[str, str]:
    """A department, a programme and a goal of their own (unique codes): their keys."""
    code = secrets.token_hex(3).upper()
    department = root.add("department", name=f"Amt {code}", short_code=f"A{code}", level="fachbereich")
    programme = root.add("programme", name=f"Programm {code}", short_code=f"p-{code.lower()}", publication="published")
    goal = root.add(
        "goal", name=f"Ziel {code}", code=code, programmes=programme["key"], weight=1, publication="published"
    )
    return {"department": department["key"], "programme": programme["key"], "goal": goal["key"]}


def measure_values(refs: dict[str, str], **values) -> dict[str, t.Any]:
    """The form data of a new measure under ``refs`` (a draft in progress unless ``values`` say otherwise)."""
    return {
        "name": f"Maßnahme {secrets.token_hex(3)}",
        "goals": refs["goal"],
        "programme": refs["programme"],
        "lead_department": refs["department"],
        "status": "in_progress",
        "weight": 1,
        "publication": "draft",
        **values,
    }


def measure_names(root: Session) -> set[str]:
    """Names of all stored measures (as root sees them: drafts included)."""
    return {skel["name"] for skel in root.get("/vi/measure/list", limit=99)["skellist"]}


# ------------------------------------------------------------------------------
# The host's skeleton extension
#


def test_structure_has_the_host_bone_and_the_package_bones(musterstadt: Host):
    """vi-admin builds its forms from the structure: the host's bone appears next to the package's."""
    structure = musterstadt.root().get("/vi/measure/structure")["structure"]
    bones = dict(structure) if isinstance(structure, list) else structure  # key tuples, per conf.compatibility
    assert bones["council_decision"]["type"] == "str"
    assert bones["council_decision"]["descr"] == "Ratsbeschluss (Drucksache)"
    for package_bone in ("name", "goals", "programme", "lead_department", "status", "progress", "publication"):
        assert package_bone in bones, package_bone


def test_host_bone_is_stored_and_read_back_and_package_derivations_still_run(musterstadt: Host):
    """
    A measure with the host's bone set goes through the package's whole write path: the bone is stored
    and read back, progress is derived from the status, the programme's roll-up counts the measure,
    the history records the host's bone, and the public sees the published measure with it.
    """
    root = musterstadt.root()
    refs = reference_data(root)
    added = root.add("measure", **measure_values(refs, publication="published", council_decision="DS 2024/0815"))
    assert added["council_decision"] == "DS 2024/0815"

    stored = root.get(f"/vi/measure/view/{added['key']}")["values"]
    assert stored["council_decision"] == "DS 2024/0815"
    assert stored["progress"] == 50  # derived from "in_progress" by the package (no milestones)
    assert stored["progress_source"] == "status"
    assert root.get(f"/vi/programme/view/{refs['programme']}")["values"]["progress"] == 50

    history = [
        entry
        for entry in root.get("/vi/change/list", limit=99)["skellist"]
        if entry["entity_kind"] == "measure" and entry["entity_name"] == added["name"]
    ]
    assert [entry["action"] for entry in history] == ["added"], history
    recorded = {change["bone"]: change["new"] for change in history[0]["changes"]}
    assert recorded["council_decision"] == "DS 2024/0815", recorded

    public = musterstadt.session().get(f"/json/measure/view/{added['key']}")["values"]
    assert public["council_decision"] == "DS 2024/0815"
    assert "responsible" not in public  # the package still hides its internal bones from the public


# ------------------------------------------------------------------------------
# The host's hook override
#


def test_host_hook_refuses_publication_without_council_decision(musterstadt: Host):
    """
    Musterstadt's ``check_change`` refuses to publish a measure without a council decision, on add and
    on edit, with the city's own name in the message; nothing is stored then. Drafts need none.
    """
    root = musterstadt.root()
    refs = reference_data(root)

    refused = measure_values(refs, publication="published")
    response = root.post("/vi/measure/add", refused)
    assert response.status_code == 422, root.explain(response)
    assert "In Musterstadt wird eine Maßnahme erst mit Ratsbeschluss veröffentlicht" in response.json()["descr"]
    assert refused["name"] not in measure_names(root)

    draft = root.add("measure", **measure_values(refs))
    assert draft["publication"] == "draft" and not draft["council_decision"]

    response = root.post(f"/vi/measure/edit/{draft['key']}", {"publication": "published"})
    assert response.status_code == 422, root.explain(response)
    assert root.get(f"/vi/measure/view/{draft['key']}")["values"]["publication"] == "draft"

    answer = root.post_json(
        f"/vi/measure/edit/{draft['key']}", {"publication": "published", "council_decision": "DS 2025/0042"}
    )
    assert answer["action"] == "editSuccess", answer.get("errors", answer)
    assert answer["values"]["publication"] == "published"
    assert answer["values"]["council_decision"] == "DS 2025/0042"


def test_package_rules_still_run_under_the_host_override(musterstadt: Host):
    """
    The override calls the package's ``check_change`` first: an editor still may not publish (only the
    office does), even with a council decision, while drafts of their own department go through.
    """
    root = musterstadt.root()
    refs = reference_data(root)
    name, password = f"editor-{secrets.token_hex(3)}@musterstadt.example", "Test-Passw0rd!xxxx"
    root.add("user", name=name, password=password, status="10", roles="editor", departments=refs["department"])
    editor = musterstadt.session()
    editor.login(name, password)

    response = editor.post(
        "/vi/measure/add", measure_values(refs, publication="published", council_decision="DS 2025/0001")
    )
    assert response.status_code == 403, editor.explain(response)
    assert "Veröffentlichen darf nur das CIIO-Büro" in response.json()["descr"]

    draft = editor.add("measure", **measure_values(refs, council_decision="DS 2025/0001"))
    assert draft["council_decision"] == "DS 2025/0001"
