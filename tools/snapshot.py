"""
Persistence for the run command's emulator: a base snapshot plus the write journal (:mod:`tools.journal`).

The Firestore emulator keeps data in memory, and its ``--export-on-exit`` writes nothing in Datastore mode
(checked with SDK 528). So the app journals every write while it runs, and at the next start the run command

1. loads the base snapshot and applies the journal to it, the newest version of each entity (:func:`load`),
2. writes the result into the fresh emulator, in parallel batches (:func:`restore`),
3. moves the emulator's id allocator past every restored id (:func:`reserve_ids`),
4. writes the result as the new base snapshot, atomically, and empties the journal (:func:`compact`).

Nothing has to be saved on a stop. A snapshot is a header line and one frame (:func:`tools.journal.frame`)
per entity, holding the serialised ``Entity`` protobuf. The pickle of older versions (``datastore.pickle``)
is read once and replaced.
"""

import concurrent.futures
import os
import pickle
import typing as t
from pathlib import Path

from google.cloud import datastore
from google.cloud.datastore import helpers
from google.cloud.datastore_v1.types import entity as entity_pb2

from tools import journal

HEADER = b"fahrplan datastore snapshot 2\n"
"""The first line of a snapshot file (format 2)."""

LEGACY_FORMAT_VERSION = 1
"""The format number of the pickled snapshots written before the journal."""

BATCH = 500
"""At most this many entities per commit (the datastore's limit)."""

BATCH_BYTES = 3_000_000
"""At most this many bytes of entities per commit (gRPC's messages stay under 4 MB)."""

THREADS = 4
"""Commits sent to the emulator at the same time while restoring."""

MAX_SEQUENTIAL_ID = (1 << 52) - 1
"""Ids up to this are sequential ids; above it lie the scattered ids the datastore allocates."""

SCATTER_SHIFT = 64 - 52 + 1
"""How the datastore (and its emulator) turns an allocation counter into a scattered id: see :func:`counter`."""

EntityPb = entity_pb2.Entity.pb()
KeyPb = entity_pb2.Key.pb()
KeyPath = tuple[str, tuple[tuple[str, int | str], ...]]
"""A key as ``(namespace, ((kind, id or name), …))``: the identity of an entity in :func:`load`'s result."""


def key_path(key: t.Any) -> KeyPath:
    """The identity of a raw ``Key`` protobuf (its project and database are the run command's)."""
    return key.partition_id.namespace_id, tuple(
        (element.kind, element.name if element.WhichOneof("id_type") == "name" else element.id) for element in key.path
    )


def load(snapshot_path: Path, journal_path: Path, legacy_path: Path | None = None) -> dict[KeyPath, bytes]:
    """
    The saved entities (serialised ``Entity`` protobufs by key): the snapshot with the journal applied.

    :param legacy_path: a pickled snapshot of an older version, read when there is no snapshot yet.
    """
    entities: dict[KeyPath, bytes] = {}
    if snapshot_path.is_file():
        entities.update(_read_snapshot(snapshot_path))
    elif legacy_path is not None and legacy_path.is_file():
        entities.update(_read_legacy(legacy_path))
    versions: dict[KeyPath, int] = {}
    for mutation in journal.read(journal_path):
        deleted = mutation.WhichOneof("operation") == "delete"
        path = key_path(mutation.delete if deleted else mutation.upsert.key)
        if (number := journal.version(mutation)) and number < versions.get(path, 0):
            continue  # appended after a later write of the same entity (see tools.journal)
        versions[path] = number or versions.get(path, 0)
        if deleted:
            entities.pop(path, None)
        else:
            entities[path] = mutation.upsert.SerializeToString()
    return entities


def _read_snapshot(path: Path) -> t.Iterator[tuple[KeyPath, bytes]]:
    with open(path, "rb") as fh:
        if fh.readline() != HEADER:
            raise RuntimeError(f"{path} is not a Fahrplan datastore snapshot (format 2)")
    pb = EntityPb()
    payloads = journal.read_frames(path, offset=len(HEADER))
    for payload in payloads:
        pb.ParseFromString(payload)
        yield key_path(pb.key), payload


def _read_legacy(path: Path) -> t.Iterator[tuple[KeyPath, bytes]]:
    with open(path, "rb") as fh:
        data = pickle.load(fh)  # a local file the run command wrote itself
    if data.get("version") != LEGACY_FORMAT_VERSION:
        raise RuntimeError(f"{path} has snapshot format {data.get('version')}, expected {LEGACY_FORMAT_VERSION}")
    for entity in data["entities"]:
        pb = helpers.entity_to_protobuf(entity)._pb
        yield key_path(pb.key), pb.SerializeToString()


def compact(entities: dict[KeyPath, bytes], snapshot_path: Path, journal_path: Path) -> None:
    """
    Make ``entities`` the base snapshot and empty the journal.

    The snapshot is replaced atomically (temporary file, fsync, rename, fsync of the folder) before the
    journal is emptied; a crash in between only replays the journal onto a snapshot that already contains
    it, which changes nothing (every record sets or deletes whole entities).
    """
    tmp = snapshot_path.with_suffix(".tmp")
    snapshot_path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as fh:
        fh.write(HEADER)
        fh.write(b"".join(journal.frame(payload) for payload in entities.values()))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, snapshot_path)
    _fsync_folder(snapshot_path.parent)
    with open(journal_path, "wb") as fh:
        os.fsync(fh.fileno())


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def restore(client: datastore.Client, entities: dict[KeyPath, bytes]) -> int:
    """Write ``entities`` into the (empty) emulator of ``client``, in parallel batches; returns how many."""
    with concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix="restore") as pool:
        list(pool.map(lambda chunk: _commit(client, chunk), _chunks(entities.values())))  # re-raises errors
    return len(entities)


def _chunks(payloads: t.Iterable[bytes]) -> t.Iterator[list[bytes]]:
    chunk: list[bytes] = []
    size = 0
    for payload in payloads:
        if chunk and (len(chunk) == BATCH or size + len(payload) > BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(payload)
        size += len(payload)
    if chunk:
        yield chunk


def _commit(client: datastore.Client, payloads: list[bytes]) -> None:
    request = journal.CommitRequestPb()
    request.project_id = client.project
    if client.database:
        request.database_id = client.database
    request.mode = request.Mode.NON_TRANSACTIONAL
    for payload in payloads:
        request.mutations.add().upsert.ParseFromString(payload)
    client._datastore_api.commit(request=journal.datastore_pb2.CommitRequest.wrap(request))


def counter(scattered_id: int) -> int:
    """The allocation counter behind a scattered id (the id is the counter, shifted and bit-reversed)."""
    return int(f"{scattered_id:064b}"[::-1], 2) >> SCATTER_SHIFT


def reserve_ids(client: datastore.Client, entities: dict[KeyPath, bytes]) -> list[int]:
    """
    Move the emulator's id allocator past every numeric id in ``entities`` (in any key path).

    The emulator allocates ids like the datastore: one counter for all kinds and namespaces, turned into a
    scattered id (:func:`counter`). It restarts at every emulator start, and writing entities with their ids
    does not advance it, so without this the next new entity gets the id of a restored one and overwrites
    it. Reserving one id moves the counter to at least that id's counter, so reserving the id with the
    highest counter (and the highest sequential id) is enough. Returns the reserved ids.
    """
    highest: dict[bool, tuple[int, str, int]] = {}
    for _namespace, path in entities:
        for kind, id_or_name in path:
            if isinstance(id_or_name, int) and id_or_name > 0:
                scattered = id_or_name > MAX_SEQUENTIAL_ID
                rank = counter(id_or_name) if scattered else id_or_name
                if rank > highest.get(scattered, (0,))[0]:
                    highest[scattered] = (rank, kind, id_or_name)
    keys = [client.key(kind, id_) for _, kind, id_ in highest.values()]
    if keys:
        client.reserve_ids_multi(keys)
    return [key.id for key in keys]
