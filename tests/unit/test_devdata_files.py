"""
The run command's files and processes without a datastore: journal frames survive a torn tail, and a pid the
system gave to another process is never killed.
"""

import subprocess

from tools import journal, processes


def test_a_torn_last_frame_ends_the_journal_and_keeps_everything_before_it(tmp_path):
    """A machine crash can cut the last append short; that record is dropped, the earlier ones are read."""
    path = tmp_path / "datastore.journal"
    path.write_bytes(journal.frame(b"first") + journal.frame(b"second") + journal.frame(b"third")[:-3])
    assert list(journal.read_frames(path)) == [b"first", b"second"]


def test_a_damaged_frame_is_not_read(tmp_path):
    """A frame whose checksum does not match is never applied (nor anything after it)."""
    path = tmp_path / "datastore.journal"
    damaged = bytearray(journal.frame(b"second"))
    damaged[5] ^= 0xFF
    path.write_bytes(journal.frame(b"first") + bytes(damaged) + journal.frame(b"third"))
    assert list(journal.read_frames(path)) == [b"first"]


def test_a_recycled_pid_is_never_killed(tmp_path):
    """The pid file names processes by pid and start time: a process with the same pid but another start is
    someone else's and survives the clean-up; the recorded one is killed."""
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        process = processes.identify(sleeper.pid)
        assert process is not None and process.alive()
        pids = processes.PidFile(tmp_path / "processes")
        pids.add([processes.Process(pid=process.pid, started=process.started + 1)])
        assert pids.kill_leftovers() == 0
        assert sleeper.poll() is None
        pids.add([process])
        assert pids.kill_leftovers() == 1
        assert sleeper.wait(5) == -9
    finally:
        sleeper.kill()
        sleeper.wait()
