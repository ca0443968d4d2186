"""
The run command's write-ahead journal: every datastore write of the local app, appended to one file.

The emulator keeps its data in memory only. When ``FAHRPLAN_JOURNAL`` names a file (the run command sets it
for the app server and for ``tools.manage``), :func:`install` wraps ``Batch._commit`` of google-cloud-datastore,
through which every write passes (``put``, ``delete``, their ``_multi`` forms and transactions, as
``Transaction`` subclasses ``Batch``). After the emulator accepted a commit, its mutations (entities with their
completed keys, deleted keys) are appended to the journal as one record before the caller sees the result: a
write acknowledged to a user is in the file, so it survives the run command being killed. A background thread
fsyncs the file shortly after each append (:data:`FSYNC_DELAY`), so a machine crash loses at most about the
last second.

Several processes append to the same file: a record is written with one ``write`` call while the writer holds
an exclusive ``flock`` (and a thread lock, as ``flock`` does not separate the threads of one process). The lock
is held for the append only, never across the commit: a commit may wait for an entity another transaction has
read, and that transaction's own commit must not wait for the journal meanwhile (a lock held across commits
turned every conflict into a wait for the emulator's lock timeout). So two records of the same entity may reach
the file out of commit order; each mutation therefore carries the version the emulator gave the entity
(``base_version``, filled from the commit's ``MutationResult.version``), and a reader keeps the highest version
of each key (:func:`tools.snapshot.load`).

The file is a sequence of frames (:func:`frame`): payload length, payload, CRC-32. Each journal payload is a
serialised ``CommitRequest`` holding only ``upsert`` and ``delete`` mutations. A torn last frame (a crash
mid-write) ends the reading. Records of older versions carry no version (0) and count in file order.
"""

import atexit
import contextlib
import fcntl
import os
import struct
import threading
import time
import typing as t
import zlib
from pathlib import Path

from google.cloud.datastore import batch as batch_module
from google.cloud.datastore_v1.types import datastore as datastore_pb2

ENVIRONMENT_VARIABLE = "FAHRPLAN_JOURNAL"
"""The environment variable naming the journal file; without it nothing is journaled."""

FSYNC_DELAY = 0.2
"""Seconds the fsync thread waits after an append, so that a burst of writes costs one fsync."""

_HEADER = struct.Struct(">I")
_TRAILER = struct.Struct(">I")

CommitRequestPb = datastore_pb2.CommitRequest.pb()
"""The raw protobuf class of a commit request (the journal's payload)."""


def frame(payload: bytes) -> bytes:
    """``payload`` framed for the journal or a snapshot: length, bytes, CRC-32."""
    return _HEADER.pack(len(payload)) + payload + _TRAILER.pack(zlib.crc32(payload))


def read_frames(path: Path, offset: int = 0) -> t.Iterator[bytes]:
    """The payloads of the frames in ``path`` from ``offset`` on, up to the end or a torn or damaged frame."""
    with open(path, "rb") as fh:
        data = fh.read()
    while offset + _HEADER.size <= len(data):
        (size,) = _HEADER.unpack_from(data, offset)
        end = offset + _HEADER.size + size
        if end + _TRAILER.size > len(data):
            return
        payload = data[offset + _HEADER.size : end]
        if _TRAILER.unpack_from(data, end)[0] != zlib.crc32(payload):
            return
        yield payload
        offset = end + _TRAILER.size


def read(path: Path) -> t.Iterator[t.Any]:
    """The committed mutations (raw ``Mutation`` protobufs) in ``path``, oldest first."""
    if not path.is_file():
        return
    for payload in read_frames(path):
        request = CommitRequestPb()
        request.ParseFromString(payload)
        yield from request.mutations


def committed_request(batch: batch_module.Batch, versions: t.Sequence[int] = ()) -> t.Any | None:
    """
    The mutations of a committed ``batch`` as a raw ``CommitRequest`` (``None`` when there were none).

    Entities that had an incomplete key carry the key the emulator gave them (``Batch._commit`` completes
    ``batch._partial_key_entities`` in the order of their ``insert`` mutations). ``versions``: the commit's
    ``MutationResult.version`` of each mutation, stored as the mutation's ``base_version``.
    """
    mutations = batch.mutations
    if not mutations:
        return None
    request = CommitRequestPb()
    completed = iter(batch._partial_key_entities)
    for index, mutation in enumerate(mutations):
        pb = getattr(mutation, "_pb", mutation)
        operation = pb.WhichOneof("operation")
        target = request.mutations.add()
        if index < len(versions):
            target.base_version = versions[index]
        if operation == "delete":
            target.delete.CopyFrom(pb.delete)
            continue
        target.upsert.CopyFrom(getattr(pb, operation))
        if operation == "insert" and not _is_complete(pb.insert.key):
            target.upsert.key.CopyFrom(next(completed).key.to_protobuf()._pb)
    return request


def _is_complete(key: t.Any) -> bool:
    """Whether the last path element of a raw key protobuf has an id or a name."""
    return bool(key.path) and key.path[-1].WhichOneof("id_type") is not None


class Journal:
    """An open journal file of this process (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.lock = threading.Lock()
        self.dirty = threading.Event()
        self._syncer: threading.Thread | None = None
        self._syncer_pid = 0
        atexit.register(self.sync)

    @contextlib.contextmanager
    def exclusive(self) -> t.Iterator[None]:
        """Hold the journal against the other threads of this process and against other processes."""
        with self.lock:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)

    def append(self, payload: bytes) -> None:
        """Append one record (call under :meth:`exclusive`); it is fsynced within :data:`FSYNC_DELAY` + fsync."""
        data = memoryview(frame(payload))
        while data:
            data = data[os.write(self.fd, data) :]
        self.dirty.set()
        self._ensure_syncer()

    def sync(self) -> None:
        """fsync the journal now if anything was appended since the last fsync."""
        if self.dirty.is_set():
            self.dirty.clear()
            with contextlib.suppress(OSError):
                os.fsync(self.fd)

    def _ensure_syncer(self) -> None:
        # Started lazily and per process: a thread does not survive a fork (gunicorn forks its workers).
        if self._syncer_pid != os.getpid() or self._syncer is None or not self._syncer.is_alive():
            self._syncer_pid = os.getpid()
            self._syncer = threading.Thread(target=self._sync_forever, name="journal-fsync", daemon=True)
            self._syncer.start()

    def _sync_forever(self) -> None:
        while True:
            self.dirty.wait()
            time.sleep(FSYNC_DELAY)
            self.sync()


_installed: Journal | None = None
_original_commit = batch_module.Batch._commit
_original_parse = batch_module._parse_commit_response
_responses = threading.local()
"""The last commit response this thread parsed (``Batch._commit`` parses it and keeps only the new keys)."""


def _parse_and_keep(commit_response: t.Any) -> t.Any:
    _responses.last = commit_response
    return _original_parse(commit_response)


def version(mutation: t.Any) -> int:
    """The version a journaled mutation gave its entity (0 in records of older versions: file order counts)."""
    return int(mutation.base_version) if mutation.WhichOneof("conflict_detection_strategy") == "base_version" else 0


def install(path: Path | None = None) -> Journal | None:
    """
    Journal every datastore commit of this process to ``path`` (default: ``$FAHRPLAN_JOURNAL``).

    Does nothing (returns ``None``) without a path; installing twice keeps the first journal.
    """
    global _installed
    if _installed is not None:
        return _installed
    if path is None:
        if not (value := os.environ.get(ENVIRONMENT_VARIABLE)):
            return None
        path = Path(value)
    journal = Journal(path)

    def journaled_commit(self: batch_module.Batch, retry: t.Any, timeout: t.Any) -> None:
        _responses.last = None
        _original_commit(self, retry, timeout)
        response = _responses.last
        versions = [result.version for result in response._pb.mutation_results] if response is not None else []
        if (request := committed_request(self, versions)) is not None:
            payload = request.SerializeToString()
            with journal.exclusive():
                journal.append(payload)

    journaled_commit.__doc__ = _original_commit.__doc__
    batch_module.Batch._commit = journaled_commit
    batch_module._parse_commit_response = _parse_and_keep
    _installed = journal
    return journal


def uninstall() -> None:
    """Stop journaling (for tests that journal in their own process); the journal is fsynced and closed."""
    global _installed
    batch_module.Batch._commit = _original_commit
    batch_module._parse_commit_response = _original_parse
    if _installed is not None:
        _installed.sync()
        os.close(_installed.fd)
        _installed = None
