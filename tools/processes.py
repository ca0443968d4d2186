"""
The processes the run command starts, and how none of them outlives it.

The emulator and gunicorn run in sessions of their own (so that a Ctrl-C reaches only the run command, which
stops them in order). Killed with SIGKILL, the run command could not stop them, so two things do:

- a watchdog (:mod:`tools.watchdog`) in a session of its own reads a pipe that only the run command holds open;
  when the run command dies, for whatever reason, the pipe closes and the watchdog kills what it was told about;
- a pid file in the data folder (:class:`PidFile`) lists the same processes; the next start kills what is
  left of them (when the watchdog was killed too).

A process is named by its pid *and* its start time (``/proc/<pid>/stat``), so a pid the system has given to
another process since is never killed.
"""

import contextlib
import json
import os
import signal
import time
import typing as t
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    """One process, identified beyond pid reuse."""

    pid: int
    started: int
    """Its start time in clock ticks since boot (field 22 of ``/proc/<pid>/stat``)."""

    group: bool = False
    """Whether it leads a process group that is to be killed as a whole."""

    def alive(self) -> bool:
        """Whether this very process still exists (not merely a process with its pid)."""
        stat = _stat(self.pid)
        return stat is not None and stat[19] == str(self.started) and not _exited(self.pid)

    def kill(self) -> bool:
        """SIGKILL this process (its group when :attr:`group`) if it is still the same; whether it was alive."""
        if not self.alive():
            return False
        with contextlib.suppress(ProcessLookupError):
            if self.group:
                os.killpg(self.pid, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        return True

    def gone(self) -> bool:
        """Whether this process (with :attr:`group`: every process of its group) has ended."""
        return not group_members(self.pid) if self.group else not self.alive()

    def line(self) -> str:
        """The process as one line of JSON (what the watchdog reads)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_line(cls, line: str) -> t.Self:
        return cls(**json.loads(line))


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 is index 0), or ``None``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def _exited(pid: int) -> bool:
    """
    Whether every thread of process ``pid`` has ended.

    A zombie main thread is not enough: the other threads of a killed multi-threaded process (the JVM,
    gunicorn) may still be ending, and the process's files, its listening socket among them, are closed only
    when the last one has.
    """
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return True
    for thread in threads:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            text = (thread / "stat").read_text()
            if text[text.rindex(")") + 2] not in "ZX":
                return False
    return True


def identify(pid: int, group: bool = False) -> Process | None:
    """The running process ``pid`` (``None`` when there is none)."""
    stat = _stat(pid)
    if stat is None or _exited(pid):
        return None
    return Process(pid=pid, started=int(stat[19]), group=group)


def group_members(pgid: int) -> list[Process]:
    """The running processes of process group ``pgid`` (the leader flagged as :attr:`Process.group`)."""
    members = []
    for entry in Path("/proc").iterdir():
        if (
            entry.name.isdigit()
            and (stat := _stat(int(entry.name)))
            and stat[2] == str(pgid)
            and not _exited(int(entry.name))
        ):
            members.append(Process(pid=int(entry.name), started=int(stat[19]), group=int(entry.name) == pgid))
    return members


def kill_all(processes: t.Iterable[Process], timeout: float = 5.0) -> int:
    """SIGKILL the given processes (and groups) that still exist and wait until they are gone; returns how many."""
    killed = [process for process in processes if process.kill()]
    deadline = time.monotonic() + timeout
    while not all(process.gone() for process in killed) and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(killed)


class PidFile:
    """The processes of the current run, one JSON line each, in the data folder."""

    def __init__(self, path: Path):
        self.path = path

    def add(self, processes: t.Iterable[Process]) -> None:
        with open(self.path, "a") as fh:
            fh.writelines(process.line() + "\n" for process in processes)
            fh.flush()
            os.fsync(fh.fileno())

    def read(self) -> list[Process]:
        if not self.path.is_file():
            return []
        return [Process.from_line(line) for line in self.path.read_text().splitlines() if line.strip()]

    def kill_leftovers(self) -> int:
        """Kill what a crashed run left running; returns how many processes (or groups) were killed."""
        killed = kill_all(self.read())
        self.clear()
        return killed

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
