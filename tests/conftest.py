"""
Fixtures for the integration and functional suites.

Unit tests (``tests/unit``) need none of this: they import only ``fahrplan.types`` and pure services.
Everything else runs against the real Firestore emulator in Datastore mode, started once per test run
on a free port and wiped before each test.
"""

import secrets
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import indexes  # noqa: E402
from tests.support.client import AppClient  # noqa: E402

PASSWORD = "Test-Passw0rd!" + "x" * 4


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The emulators and the in-process app (started once, shared by all tests)."""
    from tests.support import stack as stack_module

    started = stack_module.start(tmp_path_factory.mktemp("stack"))
    indexes.install_recorder()
    yield started
    stack_module.stop()


@pytest.fixture
def db(stack):
    """An empty database for this test."""
    stack.firestore.reset()
    return stack


@pytest.fixture
def client(db):
    """An anonymous session against the app, on an empty database."""
    return AppClient(db.app)


@pytest.fixture
def make_user(db):
    """Create an active user with the given roles (and extra bone values); returns ``(name, password)``."""

    def factory(*roles: str, **values) -> tuple[str, str]:
        from viur.core import skeleton
        from viur.core.modules.user import Status

        skel = skeleton.skeletonByKind("user")()
        name = values.pop("name", f"{'-'.join(roles) or 'user'}-{secrets.token_hex(3)}@test.example")
        skel["name"] = name
        skel["status"] = Status.ACTIVE
        skel["roles"] = list(roles)
        skel["password"] = PASSWORD
        for bone, value in values.items():
            skel.setBoneValue(bone, value)
        skel.write()
        return name, PASSWORD

    return factory


@pytest.fixture
def login_as(db, make_user):
    """A client logged in as a new user with the given roles."""

    def factory(*roles: str, **values) -> AppClient:
        name, password = make_user(*roles, **values)
        session = AppClient(db.app)
        session.login(name, password)
        return session

    return factory


MISSING_INDEXES = ROOT / ".artifacts" / "missing-indexes"
"""Where parallel test workers (pytest-xdist) leave the composite indexes their queries lack, for the controller."""


def is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session):
    if not is_worker(session.config) and MISSING_INDEXES.is_dir():
        for stale in MISSING_INDEXES.glob("*.yaml"):
            stale.unlink()


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when a query the suite issued needs a composite index missing from deploy/index.yaml."""
    report = ""
    if indexes.recorder_installed() and (missing := indexes.missing_indexes()):
        report = indexes.format_yaml(missing)
    if is_worker(session.config):  # the controller reports for all workers
        if report:
            MISSING_INDEXES.mkdir(parents=True, exist_ok=True)
            (MISSING_INDEXES / f"{session.config.workerinput['workerid']}.yaml").write_text(report)
        return
    if MISSING_INDEXES.is_dir():
        report += "".join(path.read_text() for path in sorted(MISSING_INDEXES.glob("*.yaml")))
    if report:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            "\nQueries need composite indexes missing from deploy/index.yaml:\n" + report, red=True
        )
        session.exitstatus = 1
