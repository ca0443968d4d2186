"""
The catalogue of published measures each instance keeps in memory for the public portal.

A city's roadmap has hundreds, at most some ten thousand measures, and their list data (title, status,
progress, dates, lead department, filter and search words) fits in a few megabytes. Keeping it in memory
lets every list, filter, search, sort, timeline and detail listing of the portal run without a datastore
query per page, at any roadmap size.

Freshness: :func:`catalogue` syncs at most every :data:`SYNC_SECONDS` (and at once after a write in this
instance, see :func:`mark_stale`): one query for the measures whose derived fields were written since the last
sync (``synced_at``, stamped by :func:`fahrplan.services.rollup.refresh_measure` on every write), plus one
lookup of the roadmap's sums to notice deletions (then it reloads). A published change is therefore in the
catalogue of every instance within :data:`SYNC_SECONDS`.

While the datastore is down the catalogue keeps what it has (a sync that fails is tried again by the next page
view): nothing can be published during the outage, so the list pages stay right, and only an instance that never
loaded its catalogue answers them with 503.
"""

import datetime
import logging
import threading
import time
import typing as t

from viur.core import db

from ..types import DatastoreUnavailable, PublicationState
from . import rollup

SYNC_SECONDS = 15.0
"""How stale an instance's catalogue may get before the next page view syncs it."""

FIELDS = (
    "name",
    "external_id",
    "summary",
    "status",
    "progress",
    "is_delayed",
    "delay_reason",
    "programme",
    "lead_department",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "changedate",
    "next_milestone_date",
    "next_milestone_name",
    "goal_index",
    "principle_index",
    "search_index",
    "weight",
)
"""What the catalogue keeps of a measure (no descriptions, nothing internal)."""


class Catalogue:
    """Published measures by URL-safe key, as slim raw entities (dicts with a ``key``)."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, t.Any]] = {}
        self.watermark: datetime.datetime | None = None
        self.checked = 0.0
        self.stale = True
        self.lock = threading.Lock()

    # --- Reading -----------------------------------------------------------------------------

    def measures(self) -> list[dict[str, t.Any]]:
        return list(self.entries.values())

    def get(self, key: str) -> dict[str, t.Any] | None:
        return self.entries.get(key)

    # --- Syncing -----------------------------------------------------------------------------

    def ensure_fresh(self) -> None:
        with self.lock:
            if self.watermark is None:
                self.reload()
            elif self.stale or time.monotonic() - self.checked > SYNC_SECONDS:
                try:
                    self.sync()
                except DatastoreUnavailable as exc:
                    age = time.monotonic() - self.checked
                    logging.warning(f"catalogue not synced, serving it as of {age:.0f} s ago: {exc}")

    def reload(self) -> None:
        """Read every published measure (first use, and when measures were deleted elsewhere)."""
        started = datetime.datetime.now(datetime.UTC)
        entries = {}
        for entity in db.Query("measure").filter("publication =", PublicationState.PUBLISHED.value).iter():
            entries[_key(entity)] = slim(entity)
        self.entries = entries
        self.watermark = started - datetime.timedelta(seconds=5)  # writes in flight while reading
        self.checked, self.stale = time.monotonic(), False

    def sync(self) -> None:
        """Apply the measures written since the last sync; reload when the published count disagrees."""
        started = datetime.datetime.now(datetime.UTC)
        entries = dict(self.entries)  # readers keep iterating the old dict; the new one replaces it whole
        for entity in db.Query("measure").filter("synced_at >", self.watermark).iter():
            apply(entries, entity)
        self.entries = entries
        self.watermark = started - datetime.timedelta(seconds=5)
        self.checked, self.stale = time.monotonic(), False
        published = int((rollup.stats().get("public") or {}).get("n", 0))
        if published != len(self.entries):  # a measure was deleted (no entity left to sync by)
            self.reload()


def apply(entries: dict[str, t.Any], entity: t.Any) -> None:
    """Take one stored measure into ``entries`` (or out of them, when it is not published)."""
    if entity.get("publication") == PublicationState.PUBLISHED:
        entries[_key(entity)] = slim(entity)
    else:
        entries.pop(_key(entity), None)


def _key(entity: t.Any) -> str:
    return entity.key.to_legacy_urlsafe().decode()


class Slim(dict):
    """A measure's catalogue data; ``key`` is its datastore key, like a raw entity's."""

    key: t.Any = None


def slim(entity: t.Any) -> Slim:
    result = Slim({name: entity.get(name) for name in FIELDS})
    result.key = entity.key
    return result


_catalogue = Catalogue()


def catalogue() -> Catalogue:
    """This instance's catalogue, synced if due."""
    _catalogue.ensure_fresh()
    return _catalogue


def mark_stale() -> None:
    """After a write in this instance: the next page view syncs (one query) instead of waiting."""
    _catalogue.stale = True


def forget() -> None:
    """Drop everything (tests start on an empty database)."""
    with _catalogue.lock:
        _catalogue.entries, _catalogue.watermark, _catalogue.stale = {}, None, True
