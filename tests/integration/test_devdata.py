"""
The run command's persistence (:mod:`tools.journal`, :mod:`tools.snapshot`) against real emulators: what one
emulator was given comes back in the next one, and new entities never take the ids of restored ones.
"""

import pytest
from google.cloud import datastore

from tools import dev, emulators, journal

PROJECT_ID = "fahrplan-devdata-test"


def _client(emulator: emulators.FirestoreEmulator, monkeypatch: pytest.MonkeyPatch) -> datastore.Client:
    monkeypatch.setenv("DATASTORE_EMULATOR_HOST", emulator.host)
    return datastore.Client(project=PROJECT_ID)


def _new(client: datastore.Client, kind: str, count: int, label: str, allocate: bool = False) -> list[datastore.Entity]:
    """
    ``count`` new entities of ``kind``, written as viur-core writes them: with an incomplete key (the emulator
    completes it) or, with ``allocate``, under ids taken from ``allocate_ids`` first (an upsert).
    """
    keys = client.allocate_ids(client.key(kind), count) if allocate else [client.key(kind)] * count
    entities = []
    for number, key in enumerate(keys):
        entity = datastore.Entity(key)
        entity.update({"label": label, "number": number})
        entities.append(entity)
    client.put_multi(entities)
    return entities


def test_new_entities_never_take_the_id_of_a_restored_one(tmp_path, monkeypatch):
    """
    The emulator's id allocator is one counter for all kinds that starts afresh with every emulator, and
    writing the restored entities with their ids does not advance it. Without moving it past the restored ids,
    the first new measure after a restart got the id of an old one and silently replaced it.
    """
    data = dev.DataFolder(tmp_path)
    journal.install(data.journal)
    try:
        with emulators.FirestoreEmulator() as first:
            client = _client(first, monkeypatch)
            old = _new(client, "measure", 30, "old") + _new(client, "history", 30, "old")
    finally:
        journal.uninstall()
    stored = {entity.key.flat_path: dict(entity) for entity in old}
    assert len(stored) == 60

    with emulators.FirestoreEmulator() as second:
        client = _client(second, monkeypatch)
        assert data.load_into(client) == 60
        new = _new(client, "measure", 40, "new", allocate=True)
        for path, values in stored.items():
            assert dict(client.get(client.key(*path))) == values, "a new entity overwrote a restored one"
        new += _new(client, "measure", 20, "new") + _new(client, "milestone", 40, "new")

        new_ids = {entity.key.id for entity in new}
        assert len(new_ids) == 100
        assert not {path[-1] for path in stored} & new_ids, "a new entity took the id of a restored one"
        assert len(list(client.query(kind="measure").fetch())) == 90


WRITER = """
import sys, threading
from google.cloud import datastore
from tools import journal

journal.install()
client = datastore.Client(project=sys.argv[1])
name = sys.argv[2]


def work(thread):
    for round_ in range(20):
        fresh = datastore.Entity(client.key("measure"))
        fresh.update({"writer": name, "thread": thread, "round": round_})
        shared = datastore.Entity(client.key("shared", f"s{round_ % 4}"))  # every writer overwrites these
        shared.update({"writer": name, "thread": thread, "round": round_})
        client.put_multi([fresh, shared])
        if round_ % 5 == 4:
            client.delete(fresh.key)


threads = [threading.Thread(target=work, args=(number,)) for number in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def _everything(client: datastore.Client) -> dict:
    return {entity.key.flat_path: dict(entity) for entity in client.query().fetch()}


def test_processes_writing_at_once_leave_a_journal_that_restores_exactly_what_the_emulator_held(tmp_path, monkeypatch):
    """
    The app server and ``tools.manage`` commands append to one journal at the same time, each from several
    threads, and overwrite the same entities. Their records must not interleave, and the last write of an entity
    must win however the appends were ordered: restoring the journal gives exactly what the emulator held.
    """
    import subprocess
    import sys
    from pathlib import Path

    from tests.support import BASE_ENVIRON

    data = dev.DataFolder(tmp_path / "data")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    with emulators.FirestoreEmulator() as first:
        env = {
            **BASE_ENVIRON,
            "DATASTORE_EMULATOR_HOST": first.host,
            journal.ENVIRONMENT_VARIABLE: str(data.journal),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        writers = [
            subprocess.Popen([sys.executable, str(script), PROJECT_ID, f"w{number}"], env=env) for number in range(3)
        ]
        assert [writer.wait(timeout=180) for writer in writers] == [0, 0, 0]
        held = _everything(_client(first, monkeypatch))
    assert len([path for path in held if path[0] == "measure"]) == 3 * 4 * 16
    assert len([path for path in held if path[0] == "shared"]) == 4

    with emulators.FirestoreEmulator() as second:
        client = _client(second, monkeypatch)
        assert data.load_into(client) == len(held)
        assert _everything(client) == held


def test_a_commit_waiting_for_another_transaction_does_not_hold_the_journal(tmp_path, monkeypatch):
    """
    A write that waits for an entity another transaction has read must not keep that transaction from
    committing. The journal used to be held from each commit to its append: the transaction's commit then
    waited for the journal, the write for the transaction, until the emulator's lock timeout aborted it (six
    threads on three counters took 104 s instead of 21 s). The later write still wins after a restore.
    """
    import threading

    data = dev.DataFolder(tmp_path / "data")
    journal.install(data.journal)
    try:
        with emulators.FirestoreEmulator() as first:
            client = _client(first, monkeypatch)
            key = client.key("counter", "shared")
            entity = datastore.Entity(key)
            entity["value"] = "initial"
            client.put(entity)
            read = threading.Event()
            outcome: dict[str, object] = {}

            def transaction() -> None:
                try:
                    with client.transaction():
                        found = client.get(key)
                        read.set()
                        threading.Event().wait(1.0)  # the other write starts its commit meanwhile
                        found["value"] = "transaction"
                        client.put(found)
                    outcome["transaction"] = "committed"
                except Exception as exc:  # the outcome is what the test checks
                    outcome["transaction"] = repr(exc)

            worker = threading.Thread(target=transaction)
            worker.start()
            assert read.wait(30)
            later = datastore.Entity(key)
            later["value"] = "later"
            client.put(later)
            worker.join(120)
            assert outcome == {"transaction": "committed"}
            held = dict(client.get(key))
    finally:
        journal.uninstall()
    with emulators.FirestoreEmulator() as second:
        client = _client(second, monkeypatch)
        data.load_into(client)
        assert dict(client.get(client.key("counter", "shared"))) == held
