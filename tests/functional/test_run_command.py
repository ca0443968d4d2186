"""
The run command (`make run` → `python -m tools.dev`) as a user meets it: it starts, prints a login, keeps
entered data across a stop and a restart, and leaves no process behind.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tools import emulators

pytestmark = pytest.mark.functional


class RunCommand:
    """One `python -m tools.dev` process with its own data folder and port."""

    def __init__(self, data_dir: Path, port: int, sigint_ignored: bool = False):
        self.data_dir, self.port = data_dir, port
        self.sigint_ignored = sigint_ignored
        """Start it with SIGINT ignored, as a shell without job control starts `make run &`."""
        self.log = data_dir / f"run-{time.monotonic_ns()}.out"
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        self.data_dir.mkdir(exist_ok=True)
        env = os.environ | {"FAHRPLAN_DATA_DIR": str(self.data_dir)}
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tools.dev", "--port", str(self.port), "--no-demo"],
                cwd=emulators.ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if self.sigint_ignored else None,
            )
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if "admin login:" in text:
                return text
            assert self.process.poll() is None, text[-3000:]
            time.sleep(0.3)
        raise AssertionError(self.log.read_text(errors="replace")[-3000:])

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the run command only; it must stop its children itself."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(90)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)


def _login(base: str, text: str) -> requests.Session:
    name, password = re.search(r"admin login: (\S+)\s+password: (\S+)", text).groups()
    session = requests.Session()
    skey = session.get(f"{base}/json/skey").json()
    response = session.post(
        f"{base}/vi/user/auth_userpassword/login", data={"name": name, "password": password, "skey": skey}
    )
    assert response.json()["action"] == "login_success", response.text
    return session


def test_data_survives_a_restart_and_nothing_is_left_running(tmp_path):
    """A department entered through the API is still there after Ctrl-C and a new start; no emulator survives."""
    port = emulators.free_port()
    base = f"http://127.0.0.1:{port}"
    first = RunCommand(tmp_path / "data", port)
    try:
        text = first.start()
        emulator_port = int(re.search(r"database ready on 127\.0\.0\.1:(\d+)", text).group(1))
        assert requests.get(f"{base}/").status_code == 200
        assert "text/css" in requests.get(f"{base}/static/css/fahrplan.css").headers["Content-Type"]
        session = _login(base, text)
        skey = session.get(f"{base}/json/skey").json()
        added = session.post(
            f"{base}/vi/department/add",
            data={"name": "Amt für Beständigkeit", "short_code": "AFB", "level": "fachbereich", "skey": skey},
        ).json()
        assert added["action"] == "addSuccess", added
        assert first.interrupt() == 0
        assert emulators.port_is_free(port) and emulators.port_is_free(emulator_port), "a process was left running"
    finally:
        first.kill()

    second = RunCommand(tmp_path / "data", port, sigint_ignored=True)  # Ctrl-C must work even then
    try:
        text = second.start()
        session = _login(base, text)
        names = [skel["name"] for skel in session.get(f"{base}/vi/department/list").json()["skellist"]]
        assert names == ["Amt für Beständigkeit"]
        assert second.interrupt() == 0
    finally:
        second.kill()
