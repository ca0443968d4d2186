"""
Background work of the roll-up, as ViUR deferred and periodic tasks.

Imported with :mod:`fahrplan.modules`, so that every instance knows these tasks by name when the task queue
calls them. On the local server a deferred task runs right after the request that queued it.
"""

import datetime
import logging

from viur.core import CallDeferred, PeriodicTask, db

from ..services import catalogue, jobs, rollup, sums

RECOMPUTE = "recompute"
"""The job name of the roll-up recompute."""

RECOMPUTE_CHUNK = 50
"""Measures refreshed per task of the recompute."""


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
        rollup.refresh_measure(getattr(entity, "key", entity))
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


@PeriodicTask(interval=datetime.timedelta(minutes=10))
def catalogue_snapshot() -> None:
    """
    Rewrite the catalogue's snapshot (new instances start from it plus the changes since) and prune the changes it
    has covered long enough (see :mod:`fahrplan.services.catalogue`).
    """
    result = catalogue.maintain()
    logging.info(f"catalogue snapshot: {result}")
