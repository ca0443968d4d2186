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
