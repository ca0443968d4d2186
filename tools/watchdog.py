"""
The run command's watchdog: ``python -m tools.watchdog``, started by :class:`Watchdog`.

It reads processes (:meth:`tools.processes.Process.line`) from its standard input, a pipe whose other end
only the run command holds. When the pipe closes, the run command is gone (stopped, crashed or killed with
SIGKILL) and the watchdog kills every listed process that still exists, then exits. It runs in a session of
its own, so neither a Ctrl-C in the terminal nor a SIGKILL to the run command's process group reaches it.
"""

import os
import signal
import subprocess
import sys
import typing as t

from tools import emulators, processes


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    watched = [processes.Process.from_line(line) for line in sys.stdin if line.strip()]
    processes.kill_all(watched)
    return 0


class Watchdog:
    """The run command's end of the watchdog: start it, then :meth:`watch` every process started."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._pipe: t.IO[str] | None = None

    def start(self) -> t.Self:
        read_end, write_end = os.pipe()  # not inherited by any other child (non-inheritable by default)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.watchdog"],
            cwd=emulators.ROOT,
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(read_end)
        self._pipe = os.fdopen(write_end, "w")
        return self

    def watch(self, watched: t.Iterable[processes.Process]) -> None:
        """Have the watchdog kill these processes when the run command is gone."""
        assert self._pipe is not None
        self._pipe.writelines(process.line() + "\n" for process in watched)
        self._pipe.flush()

    def stop(self) -> None:
        """Close the pipe (the watchdog kills what is left of the watched processes) and wait for it."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        if self.process is not None:
            self.process.wait(10)
            self.process = None


if __name__ == "__main__":
    sys.exit(main())
