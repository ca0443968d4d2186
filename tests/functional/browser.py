"""
Helpers of the browser tests: the run command as the server under test, headless Chromium, and the portal's pages.

The server is what a developer gets from ``make run``: ``python -m tools.dev`` with a data folder of its own
and a free port, started once per test run. It loads the demo roadmap; when the demo data cannot be loaded,
it is started with ``--no-demo`` and the helpers enter a small published roadmap through the admin API
(``/vi``) as the local root, so that every page type has something to show.

The browser is Debian's Chromium (``apt-get install chromium``) driven by Playwright from PyPI:
``playwright install`` cannot download browsers here, and the system browser is what CI has.

Test modules import the fixtures they use (``site``, ``chromium``). Both are process-wide singletons, so
importing them into several modules still starts one server and one browser.
"""

import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
import typing as t
import urllib.parse
from pathlib import Path

import pytest
import requests

from tests.support import BASE_ENVIRON
from tools import emulators

ROOT = emulators.ROOT
ARTIFACTS = ROOT / ".artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core as ``npm ci`` installs it from ``package-lock.json`` (``make test`` runs ``npm ci``)."""

CHROMIUM = Path(os.environ.get("FAHRPLAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""No sandbox (CI runs as root), and none of Chromium's own traffic to Google's services."""

WIDTHS = {"desktop": (1280, 800), "mobile": (390, 844)}
"""Viewport sizes (width, height) the pages are checked and photographed at."""

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
"""WCAG 2.1 level AA, as axe-core tags its rules."""

PAGES: dict[str, str] = {
    "start": "/",
    "measures": "/massnahmen",
    "measure": "/massnahme/{measure}",
    "measure-history": "/massnahme/{measure}/aenderungen",
    "goals": "/ziele",
    "goal": "/ziel/{goal}",
    "programme": "/programm/{programme}",
    "department": "/amt/{department}",
    "timeline": "/zeitplan",
    "accessibility": "/barrierefreiheit",
    "easy-language": "/leichte-sprache",
    "imprint": "/impressum",
    "privacy": "/datenschutz",
    "sitemap": "/sitemap.xml",
}
"""Every page type of the public portal (issue 4): name → URL, with placeholders for published entities."""

HTML_PAGES = [name for name in PAGES if name != "sitemap"]
"""The page types people read (axe and screenshots); the sitemap is XML for machines."""

STARTUP_TIMEOUT = 240.0
STOP_TIMEOUT = 90.0


# ------------------------------------------------------------------------------
# The server under test
#


@dataclasses.dataclass
class Site:
    """The running portal: base URL, the root login it printed, and keys of published entities."""

    url: str
    login: tuple[str, str]
    data: str
    """``"demo"`` (the demo roadmap) or ``"fixture"`` (entered by these helpers)."""
    log: Path
    keys: dict[str, str] = dataclasses.field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def netloc(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    def path(self, page_type: str) -> str:
        """The URL path of ``page_type``, with the keys of published entities filled in."""
        template = PAGES[page_type]
        needed = re.findall(r"{(\w+)}", template)
        missing = [name for name in needed if not self.keys.get(name)]
        if missing:
            pytest.fail(
                f"No published {', '.join(missing)} to open {template} with ({self.data} data); "
                f"looked up through /json/<module>/list as an anonymous visitor."
            )
        return template.format(**self.keys)

    def server_log(self, lines: int = 40) -> str:
        """The tail of the app server's log (gunicorn), for failure messages."""
        log = self.log.parent / "server.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


_site: Site | None = None


def _default_sigint() -> None:
    """In the child: take SIGINT as Ctrl-C, even when this process was started with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_run_command(data_dir: Path, demo: bool) -> tuple[subprocess.Popen, Path, str]:
    """Start ``python -m tools.dev``; returns the process, its output file and the text up to the login line."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = emulators.free_port()
    output = data_dir / "run-command.out"
    command = [sys.executable, "-m", "tools.dev", "--port", str(port)] + ([] if demo else ["--no-demo"])
    with output.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=BASE_ENVIRON | {"FAHRPLAN_DATA_DIR": str(data_dir)},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_default_sigint,  # runs before exec; the child only resets a signal
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        text = output.read_text(errors="replace")
        if "admin login:" in text:
            return process, output, text
        if process.poll() is not None:
            return process, output, text
        time.sleep(0.3)
    _stop(process)
    raise RuntimeError(
        f"`{' '.join(command[1:])}` printed no admin login within {STARTUP_TIMEOUT:.0f} s:\n{text[-3000:]}"
    )


def _stop(process: subprocess.Popen) -> None:
    """Ctrl-C for the run command (it stops its emulators and server itself); SIGKILL to its group if it hangs."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def start_site(base_dir: Path) -> Site:
    """Start the run command (once per test process) and make sure published entities exist."""
    global _site
    if _site is not None:
        return _site
    try:
        emulators.find_firestore_emulator()
    except emulators.MissingDependency as exc:
        pytest.fail(str(exc))
    process, output, text = _start_run_command(base_dir / "demo", demo=True)
    data = "demo"
    if process.poll() is not None:
        # The demo data could not be loaded (or the start failed): try once more without it.
        sys.stderr.write(f"\n[browser tests] the run command with demo data failed:\n{text[-1500:]}\n")
        process, output, text = _start_run_command(base_dir / "fixture", demo=False)
        data = "fixture"
        if process.poll() is not None:
            pytest.fail(f"`python -m tools.dev --no-demo` exited with code {process.returncode}:\n{text[-3000:]}")
    port = re.search(r"runs at http://localhost:(\d+)/", text).group(1)
    name, password = re.search(r"admin login: (\S+)\s+password: (\S+)", text).groups()
    site = Site(url=f"http://127.0.0.1:{port}", login=(name, password), data=data, log=output, process=process)
    _site = site
    try:
        site.keys = published_keys(site.url)
        if not site.keys.get("measure"):
            enter_fixture_roadmap(site)
            site.data = f"{data}+fixture"
            site.keys = published_keys(site.url)
    except Exception:
        stop_site()
        raise
    return site


def stop_site() -> None:
    """Stop the server started by :func:`start_site` (idempotent)."""
    global _site
    if _site is not None and _site.process is not None:
        _stop(_site.process)
    _site = None


def _list(base: str, module: str) -> list[dict]:
    """The first page of ``/json/<module>/list`` as an anonymous visitor (published entries only)."""
    response = requests.get(f"{base}/json/{module}/list", params={"amount": 30}, timeout=30)
    response.raise_for_status()
    return response.json().get("skellist") or []


def published_keys(base: str) -> dict[str, str]:
    """Keys and short codes of published entities to open the detail pages with."""
    keys: dict[str, str] = {}
    measures = _list(base, "measure")
    if measures:
        measure = measures[0]
        keys["measure"] = measure["key"]
        if lead := measure.get("lead_department"):
            keys["department"] = lead["dest"]["short_code"]
    if programmes := _list(base, "programme"):
        keys["programme"] = programmes[0]["short_code"]
    if goals := _list(base, "goal"):
        keys["goal"] = goals[0]["key"]
    if "department" not in keys and (departments := _list(base, "department")):
        keys["department"] = departments[0]["short_code"]
    return keys


class AdminSession:
    """A logged-in session against the admin API (``/vi``), with a fresh skey for every write."""

    def __init__(self, base: str, name: str, password: str):
        self.base = base
        self.http = requests.Session()
        answer = self.post("/vi/user/auth_userpassword/login", name=name, password=password)
        if answer.get("action") != "login_success":
            raise RuntimeError(f"login as {name} failed: {answer}")

    def post(self, path: str, **data: t.Any) -> dict:
        data["skey"] = self.http.get(f"{self.base}/json/skey", timeout=30).json()
        response = self.http.post(f"{self.base}{path}", data=data, timeout=60)
        response.raise_for_status()
        return response.json()

    def add(self, module: str, **values: t.Any) -> str:
        """Add an entry; returns its key."""
        answer = self.post(f"/vi/{module}/add", **values)
        if answer.get("action") != "addSuccess":
            raise RuntimeError(f"/vi/{module}/add refused {values}: {answer.get('errors')}")
        return answer["values"]["key"]


def enter_fixture_roadmap(site: Site) -> None:
    """A small published roadmap (department, programme, goal and sub-goal, measures), entered as root."""
    admin = AdminSession(site.url, *site.login)
    department = admin.add(
        "department",
        name="Amt für Digitalisierung und Organisation",
        short_code="ADO",
        level="fachbereich",
        email="digitalisierung@dortmund.example",
        phone="+49 231 50-12345",
        postal_address="Friedensplatz 1, 44135 Dortmund",
    )
    programme = admin.add(
        "programme",
        name="Digitale Verwaltung",
        short_code="digitale-verwaltung",
        description="<p>Die Verwaltung arbeitet durchgängig digital.</p>",
        publication="published",
    )
    goal = admin.add("goal", name="Eine digitale Verwaltung", code="1", publication="published", weight=1)
    subgoal = admin.add(
        "goal",
        name="Verwaltungsleistungen online",
        code="1.1",
        parent=goal,
        programmes=programme,
        publication="published",
        weight=1,
    )
    for name, status in (("Elektronische Akte", "in_progress"), ("Online-Terminvergabe", "completed")):
        admin.add(
            "measure",
            name=name,
            summary=f"{name}: ein Beispiel für die Browser-Tests.",
            description=f"<p>{name} für alle Ämter.</p>",
            status=status,
            status_note="Läuft nach Plan.",
            goals=subgoal,
            programme=programme,
            lead_department=department,
            planned_start="2021-01-01",
            planned_end="2026-12-31",
            contact_name="Team Digitalisierung",
            contact_email="digitalisierung@dortmund.example",
            weight=1,
            publication="published",
        )
    admin.add(
        "measure",
        name="Entwurf: darf nicht erscheinen",
        status="planned",
        goals=subgoal,
        programme=programme,
        lead_department=department,
        weight=1,
        publication="draft",
    )


# ------------------------------------------------------------------------------
# The browser
#

_browser: t.Any = None
_playwright: t.Any = None


def start_browser() -> t.Any:
    """Debian's Chromium under Playwright (once per test process)."""
    global _browser, _playwright
    if _browser is not None:
        return _browser
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium chromium-driver`), "
            f"or point FAHRPLAN_CHROMIUM at a Chromium binary."
        )
    from playwright.sync_api import sync_playwright  # imported late: only the browser tests need it

    _playwright = sync_playwright().start()
    _browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    return _browser


def stop_browser() -> None:
    global _browser, _playwright
    if _browser is not None:
        with contextlib.suppress(Exception):
            _browser.close()
    if _playwright is not None:
        with contextlib.suppress(Exception):
            _playwright.stop()
    _browser = _playwright = None


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> t.Iterator[Site]:
    """The portal served by the run command, with published entities."""
    yield start_site(tmp_path_factory.mktemp("browser-site"))
    stop_site()


@pytest.fixture(scope="session")
def chromium() -> t.Iterator[t.Any]:
    """A headless Chromium (Playwright ``Browser``)."""
    yield start_browser()
    stop_browser()


# ------------------------------------------------------------------------------
# Visiting pages
#


@dataclasses.dataclass
class Visit:
    """One page load: the page, its main response and every request the page made."""

    page: t.Any
    url: str
    status: int | None
    requests: list[str]
    csp_reports: list[str]


@contextlib.contextmanager
def visit(
    chromium: t.Any,
    site: Site,
    page_type: str,
    width: str = "desktop",
    bypass_csp: bool = False,
) -> t.Iterator[Visit]:
    """
    Open ``page_type`` in a fresh browser context (no cookies, no cache) at the given width.

    Every request of the context is recorded (also those of frames and workers); requests to other hosts
    are recorded and then aborted, so a test never waits on the network. Console messages about the
    Content Security Policy are kept as well: a load the CSP blocks never becomes a request.
    """
    path = site.path(page_type)
    viewport_width, viewport_height = WIDTHS[width]
    context = chromium.new_context(
        viewport={"width": viewport_width, "height": viewport_height},
        locale="de-DE",
        bypass_csp=bypass_csp,
        service_workers="block",
    )
    requested: list[str] = []
    csp_reports: list[str] = []
    context.on("request", lambda request: requested.append(request.url))

    def keep_local(route: t.Any) -> None:
        if urllib.parse.urlsplit(route.request.url).netloc == site.netloc:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", keep_local)
    try:
        page = context.new_page()
        page.on(
            "console",
            lambda message: csp_reports.append(message.text) if "Content Security Policy" in message.text else None,
        )
        response = page.goto(site.url + path, wait_until="load", timeout=60_000)
        with contextlib.suppress(Exception):  # pages that keep polling never go idle; the load event suffices
            page.wait_for_load_state("networkidle", timeout=5_000)
        yield Visit(page, path, response.status if response else None, requested, csp_reports)
    finally:
        context.close()


def require_ok(site: Site, page_type: str, visit_: Visit) -> None:
    """Fail with a readable message unless the page answered HTTP 200."""
    if visit_.status == 200:
        return
    if visit_.status == 404:
        pytest.fail(
            f"{visit_.url} ({page_type}) answered HTTP 404: the page does not exist yet. "
            f"Every page type of the portal must be served (issue 4)."
        )
    pytest.fail(f"{visit_.url} ({page_type}) answered HTTP {visit_.status}.\n--- server log ---\n{site.server_log()}")


def foreign_requests(site: Site, urls: t.Iterable[str]) -> list[str]:
    """The URLs among ``urls`` that go to another host than the site's (data:, blob: and about: stay local)."""
    foreign = []
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            continue
        if parts.scheme not in ("http", "https", "ws", "wss") or parts.netloc != site.netloc:
            foreign.append(url)
    return foreign


# ------------------------------------------------------------------------------
# axe-core
#


def run_axe(page: t.Any) -> list[dict]:
    """Inject axe-core and run the WCAG 2.1 AA rules; returns axe's violations."""
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` in the repository root (make test does).")
    page.add_script_tag(path=str(AXE))
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())  # a script tag the page's CSP refused: evaluate the source instead
    return page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const results = await axe.run(document, options);
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


def format_violations(violations: list[dict], max_nodes: int = 5) -> str:
    """axe's violations as a readable list: rule, impact, what it means, and where (selector, HTML, fix)."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}  [{violation['helpUrl']}]")
        for node in violation["nodes"][:max_nodes]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(violation["nodes"]) > max_nodes:
            lines.append(f"    … and {len(violation['nodes']) - max_nodes} more elements")
    return "\n".join(lines)
