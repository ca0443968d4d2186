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


def test_the_pickled_snapshot_of_older_versions_is_read_once_and_the_journal_applied_on_top(tmp_path):
    """Developers upgrading keep their data: the old ``datastore.pickle`` is the base when there is no snapshot
    yet, and journaled writes and deletions apply to it."""
    import pickle

    from google.cloud import datastore
    from google.cloud.datastore import helpers

    from tools import snapshot

    kept, deleted = (datastore.Entity(datastore.Key("measure", n, project="p")) for n in (1, 2))
    kept["title"], deleted["title"] = "alt", "weg"
    legacy = tmp_path / "datastore.pickle"
    legacy.write_bytes(pickle.dumps({"version": 1, "entities": [kept, deleted]}))
    changed = helpers.entity_to_protobuf(kept)._pb
    changed.properties["title"].string_value = "neu"
    request = journal.CommitRequestPb()
    request.mutations.add().upsert.CopyFrom(changed)
    request.mutations.add().delete.CopyFrom(helpers.entity_to_protobuf(deleted)._pb.key)
    (tmp_path / "datastore.journal").write_bytes(journal.frame(request.SerializeToString()))

    entities = snapshot.load(tmp_path / "datastore.snapshot", tmp_path / "datastore.journal", legacy)
    assert list(entities) == [("", (("measure", 1),))]
    snapshot.compact(entities, tmp_path / "datastore.snapshot", tmp_path / "datastore.journal")
    again = snapshot.load(tmp_path / "datastore.snapshot", tmp_path / "datastore.journal")
    restored = helpers.entity_from_protobuf(snapshot.EntityPb.FromString(again[("", (("measure", 1),))]))
    assert restored["title"] == "neu"
    assert (tmp_path / "datastore.journal").stat().st_size == 0


def test_the_highest_version_of_an_entity_wins_however_its_records_reached_the_journal(tmp_path):
    """Two processes' commits of one entity can be appended in the other order (the journal is not held across a
    commit); each mutation carries the emulator's version, and loading keeps the newest write or deletion."""
    from google.cloud import datastore
    from google.cloud.datastore import helpers

    from tools import snapshot

    def record(number: int, title: str | None, version: int) -> bytes:
        entity = datastore.Entity(datastore.Key("measure", number, project="p"))
        request = journal.CommitRequestPb()
        mutation = request.mutations.add()
        if title is None:
            mutation.delete.CopyFrom(helpers.entity_to_protobuf(entity)._pb.key)
        else:
            entity["title"] = title
            mutation.upsert.CopyFrom(helpers.entity_to_protobuf(entity)._pb)
        mutation.base_version = version
        return journal.frame(request.SerializeToString())

    path = tmp_path / "datastore.journal"
    path.write_bytes(
        record(1, "neuer", 20) + record(1, "älter", 10) + record(2, None, 31) + record(2, "vor dem Löschen", 30)
    )
    entities = snapshot.load(tmp_path / "datastore.snapshot", path)
    assert list(entities) == [("", (("measure", 1),))]
    loaded = helpers.entity_from_protobuf(snapshot.EntityPb.FromString(entities[("", (("measure", 1),))]))
    assert loaded["title"] == "neuer"
