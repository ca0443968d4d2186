"""
Persistence for the run command's emulator.

The Firestore emulator keeps data in memory, and its ``--export-on-exit`` writes nothing in Datastore
mode (checked with SDK 528). The run command therefore saves every entity to a snapshot file
periodically and on shutdown, and loads it into the fresh emulator at the next start. Files are
written atomically (temporary file + rename), so a crash mid-write keeps the previous snapshot.
"""

import os
import pickle
from pathlib import Path

from google.cloud import datastore

FORMAT_VERSION = 1
BATCH = 400
PAGE = 500


def _client(project_id: str) -> datastore.Client:
    """A datastore client for the emulator named by ``DATASTORE_EMULATOR_HOST``."""
    return datastore.Client(project=project_id)


def dump(project_id: str, path: Path) -> int:
    """Write all entities to ``path``; returns how many were saved."""
    client = _client(project_id)
    # The emulator rejects __kind__ queries in Datastore mode, but a kindless query returns everything. It is
    # read in pages: one answer of the emulator must stay under gRPC's 4 MB message limit.
    entities = []
    cursor = None
    while True:
        iterator = client.query().fetch(limit=PAGE, start_cursor=cursor)
        batch = list(iterator)
        entities += [entity for entity in batch if not entity.key.kind.startswith("__")]
        cursor = iterator.next_page_token
        if len(batch) < PAGE or not cursor:
            break
    tmp = path.with_suffix(".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as fh:
        pickle.dump({"version": FORMAT_VERSION, "entities": entities}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return len(entities)


def restore(project_id: str, path: Path) -> int:
    """Load the entities saved in ``path`` into the (empty) emulator; returns how many."""
    if not path.is_file():
        return 0
    with open(path, "rb") as fh:
        data = pickle.load(fh)  # a local file this tool wrote itself
    if data.get("version") != FORMAT_VERSION:
        raise RuntimeError(f"{path} has snapshot format {data.get('version')}, expected {FORMAT_VERSION}")
    client = _client(project_id)
    entities = data["entities"]
    for start in range(0, len(entities), BATCH):
        client.put_multi(entities[start : start + BATCH])
    return len(entities)
