"""
The catalogue of published measures each instance keeps in memory for the public portal.

Lists, filters, search, sorting, the timeline and the goal, programme and department pages read it, so no public
page queries the measures at any roadmap size. How it stays right, by construction rather than by checks:

- **A change log.** Every transaction that writes a measure's derived fields (:func:`fahrplan.services.rollup.
  refresh_measure`: each save, publication and withdrawal) or takes a deleted measure out of the roll-ups
  (:func:`fahrplan.services.rollup.remove_measure`) also writes one change entity (kind :data:`CHANGE_KIND`) with
  the measure's key, its catalogue sequence number, whether it is published now, when (:func:`clock`), and its
  slim entry. Removals are changes like any other, so a deletion is never inferred from a count.
- **Windows longer than any commit.** A sync reads the changes stamped since its previous start minus
  :data:`MARGIN` (longer than a commit can take), so a change stamped before the last sync but committed after it
  is read by the next one. Windows overlap; applying a change is idempotent: per measure the change with the
  highest sequence number wins (a measure's changes are stamped in the order of their sequence numbers, so when a
  window holds an older change of a measure it holds the newer ones too).
- **Stale while refresh.** A sync or a reload builds a new catalogue beside the current one and swaps it in whole;
  request threads meanwhile read the current one and never wait for another thread's sync (only the very first
  load of an instance, which App Engine's warm-up request and a background load at start-up do before
  visitors come, see :mod:`fahrplan.services.warmup`).
- **A snapshot to start from.** A new instance reads the compact snapshot (a few zlib-compressed JSON chunks,
  kind :data:`SNAPSHOT_KIND`, written by the periodic task of :mod:`fahrplan.modules.tasks` and after bulk writes)
  and the changes since: a handful of round trips instead of ten thousand measures. Changes the snapshot covers
  are pruned :data:`PRUNE_LAG` later; an instance whose last sync is older than the pruned part reloads.
- **Slim entries.** Plain values only: strings, numbers, dates, tuples of interned words, and programme and lead
  department as small shared ``{"key", "name", "short_code"}`` dicts, never embedded entities or keys.

While the datastore is down the catalogue keeps what it has (a sync that fails is tried again by the next page
view): nothing can be published during the outage, so the list pages stay right, and only an instance that never
loaded its catalogue answers them with 503.
"""

import datetime
import json
import logging
import sys
import threading
import time
import typing as t
import zlib

from viur.core import db

from ..types import DatastoreUnavailable, PublicationState
from . import rollup

SYNC_SECONDS = 15.0
"""How stale an instance's catalogue may get before the next page view syncs it."""

MARGIN = datetime.timedelta(seconds=90)
"""How far a sync reaches back before its previous start: longer than any commit takes (they time out at 60 s)."""

PRUNE_LAG = datetime.timedelta(hours=1)
"""Changes stay this long after the snapshot covers them, so that instances syncing every few seconds never reload."""

CHANGE_KIND = "fahrplan_catalogue_change"
SNAPSHOT_KIND = "fahrplan_catalogue_snapshot"
HEAD = "head"
"""The snapshot's head entity (its chunks, what it covers, how far the change log is pruned)."""

CHUNK_BYTES = 900_000
"""Compressed snapshot bytes per chunk entity (an entity holds at most 1 MiB)."""

PRUNE_BATCH = 500
PRUNE_MAX = 20_000
"""Changes deleted per batch and per call of :func:`prune` (a task prunes the rest next time)."""

PUBLISHED = PublicationState.PUBLISHED.value

FIELDS = (
    "name",
    "external_id",
    "summary",
    "status",
    "progress",
    "is_delayed",
    "delay_reason",
    "next_milestone_name",
)
"""Plain values the catalogue keeps of a measure (no descriptions, nothing internal)."""

DATES = ("planned_start", "planned_end", "actual_start", "actual_end", "changedate", "next_milestone_date")
"""Date and time values it keeps (JSON strings in the log and the snapshot)."""

WORDS = ("goal_index", "principle_index", "search_index")
"""The flat filter and search lists it keeps (as tuples of interned strings)."""

REFS = ("programme", "lead_department")
"""Relations it keeps as ``{"key", "name", "short_code"}``."""


def clock() -> datetime.datetime:
    """The time changes are stamped with and windows are measured by (UTC)."""
    return datetime.datetime.now(datetime.UTC)


# ---------------------------------------------------------------------------------------------------
# Entries (pure)
# ---------------------------------------------------------------------------------------------------


class Entry(dict):
    """A measure's catalogue data; ``key`` is its URL-safe key, ``seq`` the change it reflects."""

    __slots__ = ("key", "seq")

    def __init__(self, key: str, seq: int, values: t.Mapping[str, t.Any]) -> None:
        super().__init__(values)
        self.key = key
        self.seq = seq


_refs: dict[tuple, dict] = {}
"""One shared dict per distinct programme or department reference (thousands of entries point to a few)."""


def _ref(key: str | None, name: t.Any, short_code: t.Any) -> dict | None:
    if not key:
        return None
    values = (key, str(name or ""), str(short_code or ""))
    found = _refs.get(values)
    if found is None:
        found = _refs[values] = {"key": values[0], "name": values[1], "short_code": values[2]}
    return found


def _words(values: t.Any) -> tuple[str, ...]:
    return tuple(sys.intern(str(value)) for value in values or ())


def _date(value: t.Any) -> t.Any:
    if isinstance(value, str) and value:
        return datetime.datetime.fromisoformat(value)
    return value if isinstance(value, datetime.datetime | datetime.date) else None


def data_of(entity: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The JSON-able catalogue data of a stored measure (what the change log and the snapshot carry)."""
    data: dict[str, t.Any] = {name: entity.get(name) for name in FIELDS}
    for name in DATES:
        value = entity.get(name)
        data[name] = value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else None
    for name in WORDS:
        data[name] = list(entity.get(name) or ())
    for name in REFS:
        value = entity.get(name)
        dest = (value.get("dest") if isinstance(value, dict) else None) or {}
        key = rollup.dest_key(value)
        data[name] = [key.to_legacy_urlsafe().decode(), dest.get("name"), dest.get("short_code")] if key else None
    return data


def entry(key: str, seq: int, data: t.Mapping[str, t.Any]) -> Entry:
    """The in-memory entry of :func:`data_of`'s output."""
    values: dict[str, t.Any] = {name: data.get(name) for name in FIELDS}
    for name in DATES:
        values[name] = _date(data.get(name))
    for name in WORDS:
        values[name] = _words(data.get(name))
    for name in REFS:
        values[name] = _ref(*data[name]) if data.get(name) else None
    return Entry(sys.intern(key), seq, values)


SNAPSHOT_FORMAT = 2
"""The snapshot's layout: ``{"format": 2, "words": [...], "refs": [[key, name, short_code], ...], "rows": [...]}``,
each row ``[key, seq, [FIELDS values], [DATES as ISO text], [[word numbers] per WORDS list], [ref number or -1 per
REFS]]``. Every distinct word and reference is stored (and decoded) once: a new instance at L decodes it in about
half the time of the first format (a list of ``[key, seq, data]`` with :func:`data_of`'s data), which is still
read."""


def encode_snapshot(entries: t.Iterable[Entry]) -> dict[str, t.Any]:
    """The catalogue in :data:`SNAPSHOT_FORMAT`."""
    words: dict[str, int] = {}
    refs: dict[tuple, int] = {}
    rows = []
    for item in entries:
        numbers = [[words.setdefault(word, len(words)) for word in item.get(name) or ()] for name in WORDS]
        ref_numbers = []
        for name in REFS:
            ref = item.get(name)
            ref_numbers.append(refs.setdefault((ref["key"], ref["name"], ref["short_code"]), len(refs)) if ref else -1)
        dates = [value.isoformat() if (value := item.get(name)) is not None else None for name in DATES]
        rows.append([item.key, item.seq, [item.get(name) for name in FIELDS], dates, numbers, ref_numbers])
    return {"format": SNAPSHOT_FORMAT, "words": list(words), "refs": [list(ref) for ref in refs], "rows": rows}


def decode_snapshot(payload: t.Any) -> dict[str, Entry]:
    """The entries of a snapshot in :data:`SNAPSHOT_FORMAT`, or in the first format (a list of ``[key, seq, data]``)."""
    entries: dict[str, Entry] = {}
    if isinstance(payload, list):
        for key, seq, data in payload:
            item = entry(key, seq, data)
            entries[item.key] = item
        return entries
    words = [sys.intern(word) for word in payload["words"]]
    refs = [_ref(*ref) for ref in payload["refs"]]
    parse = datetime.datetime.fromisoformat
    for key, seq, values, dates, numbers, ref_numbers in payload["rows"]:
        data = dict(zip(FIELDS, values, strict=True))
        for name, value in zip(DATES, dates, strict=True):
            data[name] = parse(value) if value else None
        for name, indexes in zip(WORDS, numbers, strict=True):
            data[name] = tuple([words[index] for index in indexes])
        for name, index in zip(REFS, ref_numbers, strict=True):
            data[name] = refs[index] if index >= 0 else None
        key = sys.intern(key)
        entries[key] = Entry(key, seq, data)
    return entries


def apply_changes(entries: dict[str, Entry], changes: t.Iterable[t.Mapping[str, t.Any]]) -> int:
    """
    Apply logged changes to ``entries`` (in place), idempotently and in any order: per measure the change with the
    highest sequence number wins, and an entry that reflects a newer change stays. Returns how many changed.
    """
    newest: dict[str, t.Mapping[str, t.Any]] = {}
    for change in changes:
        known = newest.get(change["measure"])
        if known is None or int(change["seq"]) > int(known["seq"]):
            newest[change["measure"]] = change
    count = 0
    for key, change in newest.items():
        seq = int(change["seq"])
        present = entries.get(key)
        if present is not None and present.seq > seq:
            continue
        if change.get("published"):
            entries[key] = entry(key, seq, json.loads(change["entry"]))
            count += 1
        elif present is not None:
            del entries[key]
            count += 1
    return count


# ---------------------------------------------------------------------------------------------------
# The change log (written inside the measure's transactions)
# ---------------------------------------------------------------------------------------------------


def record(entity: t.Any, removed: bool = False) -> None:
    """
    Within the transaction that writes ``entity`` (a stored measure): log what the catalogue must know of this
    write, and advance the measure's ``catalogue_seq``. Writes nothing for a measure that was not listed and is not
    published now. The change's name holds the sequence number: a retried transaction writes the same change.

    :param removed: the measure is being deleted.
    """
    published = not removed and entity.get("publication") == PUBLISHED
    if not published and entity.get("catalogue_listed") is False:
        return  # a draft that never was (or is no longer) in the catalogue
    seq = int(entity.get("catalogue_seq") or 0) + 1
    entity["catalogue_seq"] = seq
    entity["catalogue_listed"] = published
    change = db.Entity(db.Key(CHANGE_KIND, f"{entity.key.id_or_name}:{seq}"), exclude_from_indexes=("entry",))
    change["measure"] = entity.key.to_legacy_urlsafe().decode()
    change["seq"] = seq
    change["published"] = published
    change["at"] = clock()
    change["entry"] = json.dumps(data_of(entity), separators=(",", ":")) if published else None
    db.put(change)


DELETED_SEQ = 2**62
"""The sequence number of a deletion's change: higher than any write's, since a deleted key never returns."""


def record_deleted(measure_key: t.Any) -> None:
    """
    After a measure was deleted: log it with :data:`DELETED_SEQ`, so that no change of a write that raced with the
    deletion (a refresh between :func:`fahrplan.services.rollup.remove_measure` and the delete) can list it again.
    """
    change = db.Entity(db.Key(CHANGE_KIND, f"{measure_key.id_or_name}:deleted"), exclude_from_indexes=("entry",))
    change["measure"] = measure_key.to_legacy_urlsafe().decode()
    change["seq"] = DELETED_SEQ
    change["published"] = False
    change["at"] = clock()
    change["entry"] = None
    db.put(change)


def changes_since(since: datetime.datetime) -> list:
    """The logged changes stamped at or after ``since`` (one query on the built-in single-property index)."""
    return list(db.Query(CHANGE_KIND).filter("at >=", since).iter())


# ---------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------


class Catalogue:
    """One loaded state: published measures by URL-safe key. Never changed once built; a sync builds a new one."""

    def __init__(self, entries: dict[str, Entry], synced_from: datetime.datetime) -> None:
        self.entries = entries
        self.synced_from = synced_from
        """Every change stamped before this is reflected (the last sync's start minus :data:`MARGIN`)."""
        self.checked = time.monotonic()

    def measures(self) -> list[Entry]:
        return list(self.entries.values())

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)


def _head() -> t.Any:
    return db.get(db.Key(SNAPSHOT_KIND, HEAD))


def _from_snapshot(head: t.Any) -> tuple[dict[str, Entry], datetime.datetime] | None:
    """The snapshot's entries and what it covers, or None when a chunk is gone (a newer snapshot replaced it)."""
    names = list(head.get("chunks") or [])
    found = rollup.by_key(db.get([db.Key(SNAPSHOT_KIND, name) for name in names])) if names else {}
    if len(found) != len(names):
        return None
    blob = b"".join(bytes(found[db.Key(SNAPSHOT_KIND, name)]["data"]) for name in names)
    return (decode_snapshot(json.loads(zlib.decompress(blob))) if blob else {}), head["covers"]


def _from_measures() -> tuple[dict[str, Entry], datetime.datetime]:
    """Every published measure (when there is no snapshot yet): slow at scale, hence the snapshot."""
    started = clock()
    entries = {}
    for entity in db.Query("measure").filter("publication =", PUBLISHED).iter():
        key = entity.key.to_legacy_urlsafe().decode()
        entries[key] = entry(key, int(entity.get("catalogue_seq") or 0), data_of(entity))
    return entries, started - MARGIN


def load_entries() -> Catalogue:
    """A complete catalogue: the snapshot (or, without one, the published measures) plus the changes since."""
    base = None
    for _ in range(3):
        head = _head()
        if head is None or not head.get("covers"):
            break
        if (base := _from_snapshot(head)) is not None:
            break
    entries, covers = base if base is not None else _from_measures()
    started = clock()
    apply_changes(entries, changes_since(covers))
    return Catalogue(entries, started - MARGIN)


def synced(state: Catalogue) -> Catalogue:
    """``state`` plus the changes since it was synced; a full load when the change log is pruned past it."""
    head = _head()
    if head is not None and head.get("pruned_before") and state.synced_from < head["pruned_before"]:
        logging.info("catalogue: the change log is pruned past this instance's last sync; reloading")
        return load_entries()
    started = clock()
    changes = changes_since(state.synced_from)
    entries = dict(state.entries)  # readers keep the old dict; the new one replaces it whole
    apply_changes(entries, changes)
    return Catalogue(entries, started - MARGIN)


class _Holder:
    """This instance's catalogue and the locks around it."""

    def __init__(self) -> None:
        self.state: Catalogue | None = None
        self.stale = False
        self.writes = 0
        """Writes of this instance (:func:`mark_stale`): a sync that began before one leaves the catalogue stale."""
        self.generation = 0
        self.load_lock = threading.Lock()
        self.sync_lock = threading.Lock()

    def swap(self, build: t.Callable[[], Catalogue]) -> None:
        """Build a new state (off any reader's path) and put it in place, unless :func:`forget` ran meanwhile."""
        generation, writes = self.generation, self.writes
        state = build()
        if generation == self.generation:
            self.state = state
            self.stale = self.writes != writes


_holder = _Holder()


def catalogue() -> Catalogue:
    """This instance's catalogue, synced if due. Only an instance's first load makes a request wait."""
    state = _holder.state
    if state is None:
        with _holder.load_lock:  # every thread waits for the same first load
            while _holder.state is None:
                _holder.swap(load_entries)
        return _holder.state
    due = _holder.stale or time.monotonic() - state.checked > SYNC_SECONDS
    # After a write of this instance wait briefly for a running sync (so the editor sees the write); otherwise a
    # thread that finds another one syncing serves what it has.
    if due and _holder.sync_lock.acquire(timeout=2.0 if _holder.stale else 0):
        try:
            if _holder.state is state:
                _holder.swap(lambda: synced(state))
        except DatastoreUnavailable as exc:
            age = time.monotonic() - state.checked
            logging.warning(f"catalogue not synced, serving it as of {age:.0f} s ago: {exc}")
        finally:
            _holder.sync_lock.release()
    return _holder.state or state


def current() -> Catalogue | None:
    """This instance's catalogue as it is (no sync, no load)."""
    return _holder.state


def loaded() -> bool:
    return _holder.state is not None


def reload() -> None:
    """Build a complete catalogue and swap it in; readers keep the current one meanwhile."""
    with _holder.sync_lock:
        _holder.swap(load_entries)


def mark_stale() -> None:
    """After a write in this instance: the next page view syncs (one query) instead of waiting."""
    _holder.writes += 1
    _holder.stale = True


def forget() -> None:
    """Drop everything (tests start on an empty database); a load running meanwhile is discarded."""
    with _holder.load_lock:
        _holder.generation += 1
        _holder.state, _holder.stale = None, False


# ---------------------------------------------------------------------------------------------------
# Snapshot and pruning (periodic task, bulk writes)
# ---------------------------------------------------------------------------------------------------


def write_snapshot() -> int:
    """
    Write a complete catalogue (built like a new instance builds it) as compressed chunks, switch the head to them
    and delete the previous chunks. Returns the number of chunks.
    """
    state = load_entries()
    payload = json.dumps(encode_snapshot(state.entries.values()), separators=(",", ":"))
    blob = zlib.compress(payload.encode(), 6)
    prefix = f"{int(time.time() * 1000)}"
    names = []
    for number, start in enumerate(range(0, len(blob), CHUNK_BYTES)):
        chunk = db.Entity(db.Key(SNAPSHOT_KIND, f"{prefix}-{number}"), exclude_from_indexes=("data",))
        chunk["data"] = blob[start : start + CHUNK_BYTES]
        db.put(chunk)
        names.append(chunk.key.id_or_name)

    def switch() -> list[str]:
        head = _head() or db.Entity(db.Key(SNAPSHOT_KIND, HEAD), exclude_from_indexes=("chunks",))
        previous = list(head.get("chunks") or [])
        head["chunks"] = names
        head["covers"] = state.synced_from
        head["measures"] = len(state.entries)
        head["bytes"] = len(blob)
        head.setdefault("pruned_before", None)
        db.put(head)
        return previous

    previous = db.run_in_transaction(switch)
    if previous:
        db.delete([db.Key(SNAPSHOT_KIND, name) for name in previous if name not in names])
    logging.info(f"catalogue snapshot: {len(state.entries)} measures, {len(blob)} bytes in {len(names)} chunks")
    return len(names)


def prune() -> int:
    """Delete the changes the snapshot has covered for :data:`PRUNE_LAG`; returns how many (at most PRUNE_MAX)."""
    head = _head()
    if head is None or not head.get("covers"):
        return 0
    cutoff = head["covers"] - PRUNE_LAG

    def advance() -> None:  # instances synced before the cutoff must reload: announce it before deleting
        stored = _head()
        if stored is not None and (stored.get("pruned_before") or cutoff) <= cutoff:
            stored["pruned_before"] = cutoff
            db.put(stored)

    db.run_in_transaction(advance)
    count = 0
    while count < PRUNE_MAX:
        found = db.Query(CHANGE_KIND).filter("at <", cutoff).run(PRUNE_BATCH, keys_only=True)
        keys = [getattr(item, "key", item) for item in found]
        if not keys:
            break
        db.delete(keys)
        count += len(keys)
    return count


def maintain() -> dict[str, int]:
    """The periodic task's work: a fresh snapshot, then pruning what it covers."""
    return {"chunks": write_snapshot(), "pruned": prune()}
