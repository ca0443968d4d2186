"""
The roll-up sums of goals, programmes and the whole roadmap, kept from a log of contribution changes.

Why a log: Firestore sustains about one write per second per entity, and every measure counts for the
roadmap's sums. If each save updated those sums in its own transaction, unrelated saves would contend for one
entity (measured: 10 writers, 11.6 % failed saves, 7.5 s median). So a save never touches a sums entity:

- In the transaction that moves a measure's stored contribution from ``old`` to ``new`` (see
  :func:`fahrplan.services.rollup.refresh_measure`), :func:`record` writes one *change* entity (kind
  :data:`CHANGE_KIND`, named after the measure and its roll-up sequence number, so a retried transaction
  writes the same change again, never a second one).
- :func:`fold_pending` applies pending changes to their targets' sums and deletes them **in one
  transaction**, so each change counts exactly once however many folds run at once. A save folds right after
  its own write (a deferred task; on the local server it runs before the response is sent), coalesced to one
  fold at a time per instance and, in production, one task per few seconds. The sums are therefore visible
  within seconds, and only the folds write them.
- :func:`rebuild` recomputes every sum from the measures' stored contributions while writers go on; it pauses
  the folds with a lease and settles the changes written meanwhile by their sequence numbers (see there).

The invariant: for every target, its stored sums plus its pending changes equal the sum of the contributions
the measures store. The functions here only ever move both sides together.
"""

import datetime
import json
import logging
import threading
import typing as t

from . import rollup

CHANGE_KIND = "fahrplan_rollup_change"
"""Pending changes of measure contributions (deleted once applied)."""

LEASE_KIND = "fahrplan_lease"
REBUILD_LEASE = "rollup-rebuild"
"""While a rebuild holds this lease, folds wait (the rebuild settles the changes itself)."""

FOLD_BATCH = 100
"""Changes applied per transaction (with their targets well below the 500 mutations of a commit)."""

REBUILD_MAX_PENDING = 350
"""A rebuild settles at most this many changes in its final transaction; with more it folds first and retries."""

LEASE_TIME = datetime.timedelta(minutes=5)


def _db():
    from viur.core import db

    return db


# ---------------------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------------------


def change_of_sums(old: dict | None, new: dict | None) -> dict[str, dict]:
    """Target → the signed change of its sums when a measure's contribution moves from ``old`` to ``new``."""
    result = {}
    for target, (old_factor, new_factor) in rollup.diff_targets(old, new).items():
        sums = None
        if old_factor is not None:
            sums = rollup.apply_contribution(sums, old, old_factor, -1)
        if new_factor is not None:
            sums = rollup.apply_contribution(sums, new, new_factor, +1)
        result[target] = sums
    return result


def add_sums(base: dict | None, change: dict | None) -> dict:
    """``base`` plus ``change`` (both sums of both scopes), field by field; zero counts are dropped."""
    result = {}
    for scope in rollup.SCOPES:
        left = dict(rollup.empty_sums(), **((base or {}).get(scope) or {}))
        right = (change or {}).get(scope) or {}
        status = dict(left["status"])
        for name, count in (right.get("status") or {}).items():
            status[name] = status.get(name, 0) + count
            if not status[name]:
                del status[name]
        sums = {
            "n": left["n"] + right.get("n", 0),
            "w": round(left["w"] + right.get("w", 0.0), 6),
            "wp": round(left["wp"] + right.get("wp", 0.0), 6),
            "delayed": left["delayed"] + right.get("delayed", 0),
            "status": status,
        }
        if overdue := left.get("overdue", 0) + right.get("overdue", 0):
            sums["overdue"] = overdue
        result[scope] = sums
    return result


def is_empty(sums: dict | None) -> bool:
    """Whether no measure counts for these sums (in either scope)."""
    return not any(((sums or {}).get(scope) or {}).get(name) for scope in rollup.SCOPES for name in ("n", "status"))


# ---------------------------------------------------------------------------------------------------
# The log
# ---------------------------------------------------------------------------------------------------


def change_key(measure_key, seq: int):
    db = _db()
    return db.Key(CHANGE_KIND, f"{measure_key.kind}:{measure_key.id_or_name}:{seq}")


def record(measure_key, seq: int, old: dict | None, new: dict | None) -> None:
    """
    Within the measure's transaction: log that its contribution moved from ``old`` to ``new`` at roll-up
    sequence number ``seq`` (the measure's ``rollup_seq`` after this write).
    """
    if old == new:
        return
    db = _db()
    entity = db.Entity(change_key(measure_key, seq), exclude_from_indexes=("old", "new", "measure"))
    entity["measure"] = measure_key.to_legacy_urlsafe().decode()
    entity["seq"] = seq
    entity["old"] = json.dumps(old)
    entity["new"] = json.dumps(new)
    entity["created"] = datetime.datetime.now(datetime.UTC)
    db.put(entity)


def pending_keys(limit: int) -> list:
    db = _db()
    return [getattr(found, "key", found) for found in db.Query(CHANGE_KIND).run(limit=limit, keys_only=True)]


def pending_count() -> int:
    return len(pending_keys(100000))


class Coalescer:
    """
    Runs a job for a key at most once at a time in this process; a request while it runs makes it run once
    more afterwards, so that every request is followed by a complete run that started after it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set = set()
        self._again: set = set()

    def run(self, key: t.Hashable, job: t.Callable[[], t.Any]) -> bool:
        """Run ``job`` now (True), or leave it to the thread running it for ``key`` (False)."""
        with self._lock:
            if key in self._running:
                self._again.add(key)
                return False
            self._running.add(key)
        try:
            while True:
                job()
                with self._lock:
                    if key in self._again:
                        self._again.discard(key)
                        continue
                    self._running.discard(key)
                    return True
        except BaseException:
            with self._lock:
                self._running.discard(key)
                self._again.discard(key)
            raise


coalescer = Coalescer()
"""Folds and measure refreshes of this process."""


def fold_pending() -> int:
    """
    Apply every pending change to its targets' sums; returns how many this call applied (0 when another
    thread of this process is folding: it folds these too). Safe to run concurrently across processes.
    """
    applied = [0]

    def job() -> None:
        while keys := pending_keys(FOLD_BATCH):
            done = _db().run_in_transaction(_fold, keys)
            if done is None:  # a rebuild holds the lease and settles the changes itself
                return
            applied[0] += done

    coalescer.run("fold", job)
    return applied[0]


def _fold(keys: list) -> int | None:
    """Within a transaction: apply the changes of ``keys`` that still exist, delete them. None while rebuilding."""
    db = _db()
    if lease_holder(REBUILD_LEASE) is not None:
        return None
    changes = [change for change in db.get(keys) if change is not None]
    if not changes:
        return 0
    total: dict[str, dict | None] = {}
    for change in changes:
        for target, sums in change_of_sums(json.loads(change["old"]), json.loads(change["new"])).items():
            total[target] = add_sums(total.get(target), sums)
    _apply(total)
    db.delete([change.key for change in changes])
    return len(changes)


def _apply(total: t.Mapping[str, dict | None], replace: bool = False) -> None:
    """Within a transaction: add ``total`` to (or with ``replace`` set as) the sums of each target."""
    db = _db()
    keys = [rollup._target_key(target) for target in total]
    found = rollup.by_key(db.get(keys))
    entities = []
    for key, sums in zip(keys, total.values(), strict=True):
        entity = found.get(key)
        if entity is None:
            if key.kind != rollup.STATS_KIND:
                continue  # the goal or programme was deleted meanwhile
            entity = db.Entity(key)
        value = sums if replace else add_sums(rollup.stored_json(entity.get("rollup")), sums)
        if is_empty(value):
            value = None  # no measure counts for it (as after a rebuild)
        entity["rollup"] = json.dumps(value)
        entity["progress"] = rollup.progress_of(value, "all")
        entity["progress_public"] = rollup.progress_of(value, "public")
        entities.append(entity)
    if entities:
        db.put(entities)


# ---------------------------------------------------------------------------------------------------
# Leases
# ---------------------------------------------------------------------------------------------------


def lease_holder(name: str) -> str | None:
    """Who holds the lease ``name`` (None when free or expired). Reads in the caller's transaction, if any."""
    db = _db()
    entity = db.get(db.Key(LEASE_KIND, name))
    if entity is None or not entity.get("holder"):
        return None
    until = entity.get("until")
    if until is not None and until < datetime.datetime.now(datetime.UTC):
        return None
    return entity["holder"]


def acquire_lease(name: str, holder: str, duration: datetime.timedelta = LEASE_TIME) -> bool:
    """Take (or renew, for the same holder) the lease ``name``; False when someone else holds it."""
    db = _db()

    def txn() -> bool:
        current = lease_holder(name)
        if current not in (None, holder):
            return False
        entity = db.Entity(db.Key(LEASE_KIND, name))
        entity["holder"] = holder
        entity["until"] = datetime.datetime.now(datetime.UTC) + duration
        db.put(entity)
        return True

    return db.run_in_transaction(txn)


def release_lease(name: str, holder: str) -> None:
    db = _db()

    def txn() -> None:
        if lease_holder(name) == holder:
            db.delete(db.Key(LEASE_KIND, name))

    db.run_in_transaction(txn)


# ---------------------------------------------------------------------------------------------------
# Rebuild
# ---------------------------------------------------------------------------------------------------


def rebuild(holder: str, attempts: int = 5) -> bool:
    """
    Set every target's sums to the sum of the contributions the measures store now, while writers go on.

    1. Fold what is pending, then take the rebuild lease (folds wait while it is held).
    2. Scan all measures: ``S`` = the sum of their stored contributions, and the sequence number each was
       read at.
    3. In one transaction: for each measure with changes written meanwhile, replace what ``S`` holds for it by
       its newest change's contribution, if that change is newer than the scan; write ``S`` to every target
       and delete those changes. Changes written after that transaction are folded normally afterwards.

    Returns False when too many changes were written during the scan (it then folds and tries again, up to
    ``attempts`` times).
    """
    db = _db()
    for _ in range(attempts):
        fold_pending()
        if not acquire_lease(REBUILD_LEASE, holder):
            return False
        try:
            totals: dict[str, dict | None] = {}
            seen: dict[str, tuple[int, dict | None]] = {}
            targets: set[str] = {f"{rollup.STATS_KIND}/{rollup.STATS_NAME}"}
            for kind in ("goal", "programme"):
                targets |= {rollup._target_name(found.key) for found in db.Query(kind).iter(keys_only=True)}
            for measure in db.Query("measure").iter():
                contribution = rollup.stored_json(measure.get("rollup"))
                seen[measure.key.to_legacy_urlsafe().decode()] = (int(measure.get("rollup_seq") or 0), contribution)
                for target, sums in change_of_sums(None, contribution).items():
                    totals[target] = add_sums(totals.get(target), sums)
            keys = pending_keys(REBUILD_MAX_PENDING + 1)
            if len(keys) > REBUILD_MAX_PENDING:
                continue
            done = db.run_in_transaction(_settle, keys, totals, seen, targets)
            if done:
                return True
        finally:
            release_lease(REBUILD_LEASE, holder)
    return False


def _settle(keys: list, totals: dict, seen: dict, targets: set[str]) -> bool:
    db = _db()
    totals = dict(totals)
    newest: dict[str, t.Any] = {}
    changes = [change for change in db.get(keys) if change is not None] if keys else []
    for change in changes:
        if change["measure"] not in newest or change["seq"] > newest[change["measure"]]["seq"]:
            newest[change["measure"]] = change
    for measure, change in newest.items():
        seq, contribution = seen.get(measure, (0, None))
        if change["seq"] > seq:
            for target, sums in change_of_sums(contribution, json.loads(change["new"])).items():
                totals[target] = add_sums(totals.get(target), sums)
    _apply({target: totals.get(target) for target in targets | totals.keys()}, replace=True)
    if changes:
        db.delete([change.key for change in changes])
    logging.info(f"roll-up sums rebuilt for {len(targets | totals.keys())} targets; {len(changes)} changes settled")
    return True


__all__ = ["CHANGE_KIND", "Coalescer", "add_sums", "change_of_sums", "fold_pending", "rebuild", "record"]
