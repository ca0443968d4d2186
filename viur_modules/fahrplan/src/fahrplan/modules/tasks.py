"""
Background work of the roll-up, as ViUR deferred and periodic tasks.

Imported with :mod:`fahrplan.modules`, so that every instance knows these tasks by name when the task queue
calls them. On the local server a deferred task runs right after the request that queued it.
"""

import datetime
import logging
import typing as t

from viur.core import CallDeferred, PeriodicTask, db

from ..services import catalogue, history, jobs, kpis, rollup, sums

RECOMPUTE = "recompute"
"""The job name of the roll-up recompute."""

RECOMPUTE_CHUNK = 50
"""Measures refreshed per task of the recompute."""

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
"""Earlier than any stored day (the lower bound of the due queries)."""

DUE_CHUNK = 100
"""Entities refreshed per task when their day has come (see :func:`refresh_due_measures`, :func:`rerate_kpis`)."""


@CallDeferred
def fold() -> None:
    """Apply the logged roll-up changes (see :func:`fahrplan.services.sums.fold_pending`)."""
    sums.fold_pending()


@CallDeferred
def refresh(measure_key: db.Key, attempt: int) -> None:
    """Refresh one measure whose refresh failed in its request (``attempt``: how many times it failed)."""
    rollup.refresh_measure(measure_key, attempt=attempt)


def start_recompute() -> tuple[dict, bool]:
    """Start the recompute job unless it runs already; returns its state and whether this call started it."""
    total = len(db.Query("measure").run(limit=100000, keys_only=True))
    state, started = jobs.start(RECOMPUTE, total)
    if started:
        recompute_chunk(state["job"], None)
    return state, started


@CallDeferred
def recompute_chunk(job: str, cursor: str | None) -> None:
    """One chunk of the recompute: refresh the next measures, then hand on; the last chunk rebuilds the sums."""
    query = db.Query("measure")
    if cursor:
        query.setCursor(cursor)
    found = query.run(limit=RECOMPUTE_CHUNK, keys_only=True)
    for entity in found:
        rollup.refresh_measure(getattr(entity, "key", entity), rescan=True)
        history.rebuild_recent(getattr(entity, "key", entity))  # measures stored before it was kept
    if not jobs.advance(RECOMPUTE, job, len(found)):
        return  # replaced by a newer start (after its lease ran out)
    next_cursor = query.getCursor() if len(found) == RECOMPUTE_CHUNK else None
    if next_cursor:
        recompute_chunk(job, next_cursor.decode() if isinstance(next_cursor, bytes) else next_cursor)
        return
    if sums.rebuild(holder=f"recompute-{job}"):
        jobs.finish(RECOMPUTE, job)
    else:
        jobs.finish(RECOMPUTE, job, "failed", "Die Summen konnten nicht neu aufgebaut werden; bitte erneut starten.")


@PeriodicTask(interval=datetime.timedelta(minutes=5))
def sweep() -> None:
    """Catch up on what a failed request left: measures whose refresh failed, changes not yet folded."""
    refreshed = rollup.refresh_pending()
    folded = sums.fold_pending()
    if refreshed or folded:
        logging.info(f"roll-up sweep: {refreshed} measures refreshed, {folded} changes folded")


def _due_chunk(kind: str, bone: str, day: str, cursor: str | None, refresh: t.Callable[[db.Key], t.Any]) -> str | None:
    """
    Refresh the next :data:`DUE_CHUNK` entities of ``kind`` whose ``bone`` (a day, stored as its start) is due on
    ``day`` (ISO date); returns the cursor of the rest, or None when done. A refresh moves ``bone`` past ``day``,
    so a later run finds nothing; one that fails leaves it due for the next run. The query needs no composite
    index (one property, a range on it).
    """
    query = (
        db.Query(kind)
        .filter(f"{bone} >=", EPOCH)  # not the empty values: null sorts before every date and would match
        .filter(f"{bone} <=", rollup.local_midnight(datetime.date.fromisoformat(day)))
    )
    if cursor:
        query.setCursor(cursor)
    found = query.run(limit=DUE_CHUNK, keys_only=True)
    for entity in found:
        key = getattr(entity, "key", entity)
        try:
            refresh(key)
        except Exception:  # e.g. contention that outlasted the retries: it stays due, the next run retries it
            logging.exception(f"refresh of {key!r} (its {bone} came) failed")
    if found:
        logging.info(f"{kind}: {len(found)} refreshed whose {bone} came by {day}")
    next_cursor = query.getCursor() if len(found) == DUE_CHUNK else None
    return next_cursor.decode() if isinstance(next_cursor, bytes) else next_cursor


@CallDeferred
def refresh_due_measures(day: str, cursor: str | None) -> None:
    """One chunk of the measures whose derived state the date ``day`` changes (``state_changes_on``), then hand on."""
    today = datetime.date.fromisoformat(day)
    if next_cursor := _due_chunk(
        "measure", "state_changes_on", day, cursor, lambda key: rollup.refresh_measure(key, today, dates_only=True)
    ):
        refresh_due_measures(day, next_cursor)


@PeriodicTask(interval=datetime.timedelta(hours=1))
def rerate_kpis() -> None:
    """
    Re-rate the stored ratings that the date alone changes today (``rating_changes_on``), once per KPI and day: the
    admin's filtered views query them. Pages compute the rating they show for today anyway.
    """
    rerate_due_kpis(rollup.local_today().isoformat(), None)


@CallDeferred
def rerate_due_kpis(day: str, cursor: str | None) -> None:
    """One chunk of :func:`rerate_kpis`, then hand on."""
    today = datetime.date.fromisoformat(day)
    if next_cursor := _due_chunk("kpi", "rating_changes_on", day, cursor, lambda key: kpis.refresh(key, today=today)):
        rerate_due_kpis(day, next_cursor)


@PeriodicTask(interval=datetime.timedelta(minutes=10))
def catalogue_snapshot() -> None:
    """
    Rewrite the catalogue's snapshot (new instances start from it plus the changes since) and prune the changes it
    has covered long enough (see :mod:`fahrplan.services.catalogue`).
    """
    result = catalogue.maintain()
    logging.info(f"catalogue snapshot: {result}")
