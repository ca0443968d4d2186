"""
The run command (`make run` → `python -m tools.dev`) as a user meets it: it starts, prints a login, keeps
entered data across a stop, a crash and a restart, and leaves no process behind, not even when it is killed.
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

from tests.support import BASE_ENVIRON
from tools import emulators, journal, processes

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
        env = BASE_ENVIRON | {"FAHRPLAN_DATA_DIR": str(self.data_dir)}
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

    def crash(self) -> None:
        """`kill -9` of the run command only: it gets no chance to stop or save anything."""
        self.process.kill()
        self.process.wait(10)

    def watchdog_pid(self) -> int:
        """The pid of the run command's watchdog (a child in a session of its own)."""
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if stat[stat.rindex(")") + 2 :].split()[1] == str(self.process.pid) and b"tools.watchdog" in cmdline:
                    return int(entry.name)
        raise AssertionError("the run command has no watchdog")

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
        processes.PidFile(tmp_path / "data" / "processes").kill_leftovers()


def _emulator_port(text: str) -> int:
    return int(re.search(r"database ready on 127\.0\.0\.1:(\d+)", text).group(1))


def _add_department(session: requests.Session, base: str, name: str, code: str) -> str:
    """Add a department through the admin API; returns its key once the server acknowledged the write."""
    skey = session.get(f"{base}/json/skey").json()
    added = session.post(
        f"{base}/vi/department/add",
        data={"name": name, "short_code": code, "level": "fachbereich", "skey": skey},
    ).json()
    assert added["action"] == "addSuccess", added
    return added["values"]["key"]


def _departments(session: requests.Session, base: str) -> dict[str, str]:
    """Key → name of every department."""
    return {skel["key"]: skel["name"] for skel in session.get(f"{base}/vi/department/list").json()["skellist"]}


def _wait_until_free(*ports: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not all(emulators.port_is_free(port) for port in ports):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_killed_run_command_takes_its_servers_along_and_loses_no_acknowledged_write(tmp_path):
    """
    `kill -9` of the run command (no stop, no final save): the emulator and gunicorn, in sessions of their own,
    must not go on accepting writes that are never saved, nor keep the ports, so the watchdog stops them within
    seconds. Every write the server acknowledged two seconds before the crash is there at the next start, a
    deletion too, and a user `tools.manage` wrote; entities added then get new keys instead of overwriting
    restored ones (the emulator's id allocator restarts at every start).
    """
    port = emulators.free_port()
    base = f"http://127.0.0.1:{port}"
    first = RunCommand(tmp_path / "data", port)
    try:
        text = first.start()
        mutations = list(journal.read(tmp_path / "data" / "datastore.journal"))
        written = {m.upsert.key.path[-1].kind for m in mutations if m.WhichOneof("operation") == "upsert"}
        assert "user" in written, "`tools.manage ensure-root` wrote the root login without journaling it"
        session = _login(base, text)
        kept = _add_department(session, base, "Amt für Beständigkeit", "AFB")
        gone = _add_department(session, base, "Amt für Vergänglichkeit", "AFV")
        skey = session.get(f"{base}/json/skey").json()
        deleted = session.post(f"{base}/vi/department/delete/{gone}", data={"skey": skey})
        assert deleted.status_code == 200, deleted.text
        assert set(_departments(session, base)) == {kept}
        time.sleep(2)
        first.crash()
        assert _wait_until_free(port, _emulator_port(text)), "the emulator or gunicorn outlived the run command"
    finally:
        first.kill()

    second = RunCommand(tmp_path / "data", port)
    try:
        text = second.start()
        session = _login(base, text)
        assert _departments(session, base) == {kept: "Amt für Beständigkeit"}
        added = [_add_department(session, base, f"Neues Amt {n}", f"NA{n}") for n in range(3)]
        assert kept not in added and len(set(added)) == 3
        departments = _departments(session, base)
        assert departments[kept] == "Amt für Beständigkeit", "a new department overwrote a restored one"
        assert len(departments) == 4
        assert second.interrupt() == 0
    finally:
        second.kill()
        processes.PidFile(tmp_path / "data" / "processes").kill_leftovers()


def test_the_next_start_stops_what_a_crashed_run_left_running(tmp_path):
    """
    Should the watchdog die with the run command (both killed with SIGKILL), the emulator and gunicorn go on
    running; the next start finds them through the pid file in the data folder, stops them and starts on the
    same port with the data.
    """
    port = emulators.free_port()
    base = f"http://127.0.0.1:{port}"
    first = RunCommand(tmp_path / "data", port)
    try:
        text = first.start()
        old_emulator_port = _emulator_port(text)
        kept = _add_department(_login(base, text), base, "Amt für Beständigkeit", "AFB")
        os.kill(first.watchdog_pid(), signal.SIGKILL)
        first.crash()
        time.sleep(1)
        assert not emulators.port_is_free(port), "the test needs the servers of the crashed run still running"
    finally:
        first.kill()

    second = RunCommand(tmp_path / "data", port)
    try:
        text = second.start()
        assert "left running" in text
        assert emulators.port_is_free(old_emulator_port)
        assert _departments(_login(base, text), base) == {kept: "Amt für Beständigkeit"}
        assert second.interrupt() == 0
    finally:
        second.kill()
        processes.PidFile(tmp_path / "data" / "processes").kill_leftovers()
