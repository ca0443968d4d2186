"""
The app in the shape App Engine gets it: the deployment files, and the upload bundle started as ``app.yaml`` says.

The bundle test copies the repository the way ``gcloud app deploy`` uploads it (leaving out what
``.gcloudignore`` excludes), installs ``requirements.txt`` into a fresh virtual environment the way the
python313 runtime does, and runs the ``app.yaml`` entrypoint from the bundle's root, with no ``PYTHONPATH``
pointing back into the repository, against a Firestore emulator and a Cloud Storage stub of its own.
"""

import contextlib
import fnmatch
import http.cookiejar
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pathspec
import pytest
import yaml

from tools import emulators

ROOT = emulators.ROOT
PROJECT_ID = "fahrplan-bundle-test"
"""The project the bundle runs as; ``deploy/main.py`` only accepts ``fahrplan-*`` and ``dortmund-*``."""

ADMIN_LOGIN = re.compile(r"Username: (?P<name>\S+@\S+?)\s*\n\s*Password: (?P<password>[A-Za-z0-9]+)")
"""viur-core's log line announcing the admin it creates on an empty database (possibly in colour)."""

pytestmark = pytest.mark.functional


def load_yaml(relative: str) -> t.Any:
    """A deployment file of the repository, parsed."""
    return yaml.safe_load((ROOT / relative).read_text())


def tail(path: Path, lines: int = 80) -> str:
    """The last ``lines`` lines of a log file (for failure messages)."""
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_logged(command: list[str], log: Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900):
    """Run ``command`` with its output in ``log``; fail the test with the log's tail when it fails."""
    with log.open("ab") as output:
        result = subprocess.run(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            timeout=timeout, check=False,
        )  # fmt: skip
    if result.returncode:
        pytest.fail(f"`{shlex.join(command)}` failed with code {result.returncode}:\n{tail(log)}")


# ------------------------------------------------------------------------------
# Deployment files
#


def test_app_yaml_runs_gunicorn_from_deploy_on_python313():
    """App Engine starts the app with this entrypoint; viur-core needs deploy/ as its working directory."""
    config = load_yaml("app.yaml")
    assert config["runtime"] == "python313"
    assert isinstance(config.get("handlers"), list) and config["handlers"]
    entrypoint = shlex.split(config["entrypoint"])
    assert entrypoint[0] == "gunicorn"
    assert "-b" in entrypoint and entrypoint[entrypoint.index("-b") + 1] == ":$PORT"
    assert "--chdir deploy main:app" in " ".join(entrypoint), config["entrypoint"]


def test_app_yaml_asks_for_warm_up_requests():
    """A new instance gets /_ah/warmup before its first visitor, and loads the catalogue of published measures then."""
    assert "warmup" in (load_yaml("app.yaml").get("inbound_services") or [])


def test_app_yaml_static_paths_are_inside_deploy():
    """Static handlers must point into deploy/, the app's folder (and ship in the bundle)."""
    config = load_yaml("app.yaml")
    paths = []
    for handler in config["handlers"]:
        for key in ("static_dir", "static_files"):
            if key in handler:
                paths.append(handler[key])
        if "upload" in handler:
            assert handler["upload"].startswith("deploy/"), handler
    assert paths, "app.yaml serves no static files"
    deploy = (ROOT / "deploy").resolve()
    for path in paths:
        assert not Path(path).is_absolute() and ".." not in Path(path).parts, path
        # lexically: deploy/admin may be a link to a prebuilt admin elsewhere (make run ADMIN=…, the admin tests)
        assert Path(os.path.normpath(ROOT.resolve() / path)).is_relative_to(deploy), path


@pytest.mark.parametrize(
    ("relative", "key"),
    [("deploy/cron.yaml", "cron"), ("deploy/queue.yaml", "queue"), ("deploy/index.yaml", "indexes")],
)
def test_deploy_config_files_parse(relative: str, key: str):
    """`gcloud app deploy` rejects these files when they are malformed; each has one top-level key."""
    document = load_yaml(relative)
    assert isinstance(document, dict) and key in document, document
    assert isinstance(document[key], list)
    if key == "cron":
        assert all({"url", "schedule"} <= set(job) for job in document[key])
    if key == "queue":
        assert all("name" in queue for queue in document[key])


# ------------------------------------------------------------------------------
# The upload bundle
#


def ignore_spec() -> pathspec.PathSpec:
    """``.gcloudignore`` as gcloud reads it (gitignore syntax; it has no ``#!include`` lines)."""
    lines = (ROOT / ".gcloudignore").read_text().splitlines()
    assert not any(line.startswith("#!include") for line in lines), "#!include is not supported here"
    return pathspec.GitIgnoreSpec.from_lines(lines)


def copy_bundle(target: Path) -> None:
    """Copy the repository into ``target``, leaving out what ``.gcloudignore`` excludes."""
    spec = ignore_spec()
    for folder, dirnames, filenames in os.walk(ROOT):
        relative = Path(folder).relative_to(ROOT)
        kept = []
        for name in sorted(dirnames):
            path = (relative / name).as_posix()
            if spec.match_file(path + "/"):
                continue
            if (ROOT / path).is_symlink():
                os.symlink(os.readlink(ROOT / path), target / path)
            else:
                kept.append(name)
                (target / path).mkdir(parents=True, exist_ok=True)
        dirnames[:] = kept
        for name in filenames:
            path = (relative / name).as_posix()
            if spec.match_file(path):
                continue
            source = ROOT / path
            if source.is_symlink():
                os.symlink(os.readlink(source), target / path)
            elif source.is_file():
                shutil.copy2(source, target / path)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The upload bundle, with ``deploy/static`` built first if it is missing."""
    logs = tmp_path_factory.mktemp("bundle-logs")
    if not (ROOT / "deploy" / "static").is_dir():
        run_logged([sys.executable, "-m", "tools.build_static"], logs / "build_static.log", cwd=ROOT)
    target = tmp_path_factory.mktemp("bundle") / "app"
    target.mkdir()
    copy_bundle(target)
    return target


def test_bundle_leaves_out_development_files(bundle: Path):
    """Tests, tools, VCS data and the local venv stay home; the app, its requirements and package go up."""
    for absent in ("tests", "tools", ".git", ".venv", ".devdata", "sources", "Makefile", "requirements-dev.txt"):
        assert not (bundle / absent).exists(), f"{absent} would be uploaded"
    assert not list(bundle.rglob("__pycache__")), "bytecode caches would be uploaded"
    for present in (
        "app.yaml",
        "requirements.txt",
        "deploy/main.py",
        "deploy/index.yaml",
        "deploy/static/build.json",
        "viur_modules/fahrplan/pyproject.toml",
        "viur_modules/fahrplan/README.md",  # the package's pyproject names it as its readme
    ):
        assert (bundle / present).is_file(), f"{present} is missing from the bundle"
    for handler in load_yaml("app.yaml")["handlers"]:
        if handler["url"] == "/vi/s":
            continue  # deploy/admin (vi-admin) is installed by hand and may be absent
        if path := handler.get("static_dir"):
            assert (bundle / path).is_dir(), f"{path} (static_dir of {handler['url']}) is missing from the bundle"
        if path := handler.get("static_files"):
            assert (bundle / path).is_file(), f"{path} (static_files of {handler['url']}) is missing from the bundle"


@pytest.fixture(scope="module")
def bundle_venv(bundle: Path, tmp_path_factory) -> Path:
    """A fresh virtual environment with ``requirements.txt`` installed from inside the bundle, as App Engine does."""
    base = tmp_path_factory.mktemp("bundle-venv")
    venv = base / "venv"
    log = base / "pip.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    run_logged([sys.executable, "-m", "venv", str(venv)], log, cwd=bundle, env=env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run_logged([*pip, "install", "-r", "requirements.txt"], log, cwd=bundle, env=env)
    return venv


class Browser:
    """One HTTP session against the served bundle: keeps cookies, speaks ViUR's form/JSON conventions."""

    def __init__(self, url: str, log: Path):
        self.url = url
        self.log = log
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        """GET (or POST ``data`` as a form to) ``path``: status, content type and body, HTTP errors included."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.url + path, data=body, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode(errors="replace")

    def json(self, path: str, data: dict[str, str] | None = None) -> t.Any:
        """The decoded JSON answer of a request that must succeed."""
        status, content_type, body = self.request(path, data)
        assert status == 200, self.explain(status, body)
        assert "json" in content_type, f"{content_type}: {self.explain(status, body)}"
        return json.loads(body)

    def login(self, name: str, password: str) -> None:
        """Log in with name and password, as vi-admin does."""
        skey = self.json("/json/skey")
        answer = self.json("/vi/user/auth_userpassword/login", {"name": name, "password": password, "skey": skey})
        assert answer.get("action") == "login_success", answer

    def explain(self, status: int, body: str) -> str:
        """A failure message: the response and the tail of gunicorn's log."""
        return f"HTTP {status}: {body[:500]}\n--- gunicorn log ---\n{tail(self.log)}"


class Served(t.NamedTuple):
    """The running bundle: its base URL, the file gunicorn logs to, and the start-up admin's login."""

    url: str
    log: Path
    admin: tuple[str, str]

    def browser(self) -> Browser:
        """A new session (no cookies yet)."""
        return Browser(self.url, self.log)


def startup_admin(log: Path, timeout: float = 30) -> tuple[str, str]:
    """
    The admin login viur-core's start-up task creates on an empty database and logs at WARNING.

    Reading it from the log is how an operator gets into a freshly deployed instance, too.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if match := ADMIN_LOGIN.search(log.read_text(errors="replace")):
            return match["name"], match["password"]
        time.sleep(0.2)
    pytest.fail(f"viur-core logged no start-up admin within {timeout:.0f} s:\n{tail(log)}")


@pytest.fixture(scope="module")
def served_bundle(bundle: Path, bundle_venv: Path, tmp_path_factory) -> t.Iterator[Served]:
    """The bundle served by its ``app.yaml`` entrypoint against emulators of its own (an empty database)."""
    assert fnmatch.fnmatch(PROJECT_ID, "fahrplan-*")
    try:
        emulators.find_firestore_emulator()
    except emulators.MissingDependency as exc:
        pytest.fail(str(exc))
    base = tmp_path_factory.mktemp("bundle-run")
    log = base / "gunicorn.log"
    port = emulators.free_port()
    entrypoint = load_yaml("app.yaml")["entrypoint"].replace("$PORT", str(port))
    with contextlib.ExitStack() as stack:
        firestore = emulators.FirestoreEmulator(log_path=base / "firestore.log").start()
        stack.callback(firestore.stop)
        storage = emulators.StorageStub(PROJECT_ID).start()
        stack.callback(storage.stop)
        credentials = emulators.write_fake_credentials(base / "fake-credentials.json")
        app_env = emulators.app_environment(PROJECT_ID, firestore.host, storage.url, credentials)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update({k: v for k, v in app_env.items() if k != "PYTHONPATH"})  # the bundle must be self-sufficient
        env["PATH"] = os.pathsep.join([str(bundle_venv / "bin"), env.get("PATH", "")])
        env["VIRTUAL_ENV"] = str(bundle_venv)
        gunicorn = shutil.which("gunicorn", path=env["PATH"])
        assert gunicorn and Path(gunicorn).is_relative_to(bundle_venv), f"gunicorn is not the bundle's: {gunicorn}"
        with log.open("ab") as output:
            server = subprocess.Popen(
                ["bash", "-c", entrypoint], cwd=bundle, env=env, stdout=output, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        stack.callback(emulators.terminate_group, server, 5.0, signal.SIGINT)
        url = f"http://127.0.0.1:{port}"
        try:
            emulators.wait_for_http(url + "/json/skey", timeout=120, process=server)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n--- gunicorn log ---\n{tail(log)}")
        yield Served(url, log, startup_admin(log))


def test_bundle_serves_the_home_page(served_bundle: Served):
    """The entrypoint from app.yaml starts the app from the bundle alone, and it renders its HTML."""
    browser = served_bundle.browser()
    status, content_type, body = browser.request("/")
    assert status == 200, browser.explain(status, body)
    assert content_type.startswith("text/html"), content_type
    assert "<html" in body.lower()


def test_bundle_answers_the_warm_up_request(served_bundle: Served):
    """App Engine's warm-up request reaches the app (viur-core answers it after the catalogue is loaded)."""
    browser = served_bundle.browser()
    status, _, body = browser.request("/_ah/warmup")
    assert status == 200, browser.explain(status, body)
    assert "warm-up failed" not in served_bundle.log.read_text()


def test_bundle_hands_out_skeys(served_bundle: Served):
    """Every POST needs a security key; the JSON render hands them out."""
    assert isinstance(served_bundle.browser().json("/json/skey"), str)


def test_bundle_serves_the_admin_config(served_bundle: Served):
    """vi-admin's first call: /vi/config answers JSON; an admin (the start-up one) gets the module list."""
    browser = served_bundle.browser()
    assert "configuration" in browser.json("/vi/config")  # anonymous: settings only
    browser.login(*served_bundle.admin)
    config = browser.json("/vi/config")
    assert "modules" in config, sorted(config)
    assert "user" in config["modules"], sorted(config["modules"])
