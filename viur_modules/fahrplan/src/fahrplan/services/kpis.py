"""
KPIs in the datastore: keep each KPI's series, latest value and rating current as readings arrive, and as days
pass.

A rating ages (see :mod:`fahrplan.services.kpi`): the rating shown is always computed for today from the stored
values (:func:`assessment`); the stored ``rating`` (which the admin's filtered views query) is re-rated on
the day it changes, by the task that refreshes the KPIs whose stored ``rating_changes_on`` has come.
"""

import datetime
import json
import typing as t

from . import kpi as method
from . import publication, rollup
from .rollup import dest_key, local_date, local_midnight, stored_json


def _db():
    from viur.core import db

    return db


def is_public(kpi_key) -> bool:
    """A KPI (and its readings) is public when its measure — or, for a goal's KPI, its goal — is published."""
    db = _db()
    entity = db.get(kpi_key)
    if entity is None:
        return False
    parent = dest_key(entity.get("measure")) or dest_key(entity.get("goal"))
    parent_entity = db.get(parent) if parent else None
    return publication.is_published(parent_entity)


def stored_measure_of_kpi(kpi_key):
    """The measure a stored KPI belongs to (None for a new KPI or a goal's KPI)."""
    if kpi_key is None:
        return None
    entity = _db().get(kpi_key)
    return dest_key(entity.get("measure")) if entity else None


def stored_kpi_of_reading(reading_key):
    if reading_key is None:
        return None
    entity = _db().get(reading_key)
    return dest_key(entity.get("kpi")) if entity else None


STORED_INPUTS = (
    "direction",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "unit",
    "latest_date",
    "latest_value",
)
"""The stored values a rating is computed from."""


def _inputs(values: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The arguments of the rating method from a KPI's stored values (an entity, or a dict of bone values)."""
    return {
        "direction": values.get("direction") or "higher",
        "baseline_value": float(values.get("baseline_value") or 0),
        "baseline_date": local_date(values.get("baseline_date")) or rollup.local_today(),
        "target_value": float(values.get("target_value") or 0),
        "target_date": local_date(values.get("target_date")) or rollup.local_today(),
        "unit": values.get("unit") or "",
    }


def stored_latest(values: t.Mapping[str, t.Any]) -> tuple[datetime.date, float] | None:
    """The latest reading as the KPI stores it (``latest_date``, ``latest_value``), or None."""
    date, value = local_date(values.get("latest_date")), values.get("latest_value")
    return (date, float(value)) if date is not None and value is not None else None


def assessment(values: t.Mapping[str, t.Any], today: datetime.date | None = None) -> method.Assessment:
    """The rating of a stored KPI for ``today`` (by default the real today): what every page shows."""
    return method.assess(**_inputs(values), latest=stored_latest(values), today=today or rollup.local_today())


def refresh(
    kpi_key,
    add: tuple[t.Any, t.Any, float] | None = None,
    remove: t.Any | None = None,
    today: datetime.date | None = None,
) -> None:
    """
    In one transaction: add or remove one reading in the KPI's series, then re-derive its latest value and its
    rating for ``today`` (by default the real today), with the day on which that rating changes by time alone.

    Cheap with thousands of readings: one entity read and written, no query.
    """
    db = _db()
    today = today or rollup.local_today()
    public = is_public(kpi_key)

    def txn():
        entity = db.get(kpi_key)
        if entity is None:
            return
        series = stored_json(entity.get("series")) or []
        if remove is not None:
            series = method.remove_reading(series, remove.to_legacy_urlsafe().decode())
        if add is not None:
            reading_key, date, value = add
            series = method.insert_reading(series, local_date(date), value, reading_key.to_legacy_urlsafe().decode())
        latest = method.latest(series)
        inputs = _inputs(entity)
        assessment = method.assess(**inputs, latest=latest, today=today)
        changes_on = method.rating_changes_on(**inputs, latest=latest, today=today)
        entity["series"] = json.dumps(series)
        entity["reading_count"] = len(series)
        entity["latest_value"] = latest[1] if latest else None
        entity["latest_date"] = (
            datetime.datetime.combine(latest[0], datetime.time(), tzinfo=datetime.UTC) if latest else None
        )
        entity["rating"] = assessment.rating.value
        entity["rating_text"] = assessment.explanation
        entity["rating_changes_on"] = local_midnight(changes_on) if changes_on else None
        entity["is_public"] = public
        db.put(entity)

    db.run_in_transaction(txn)


def rerate_all(today: datetime.date | None = None) -> int:
    """
    Rate every KPI for ``today`` and store the day its rating changes (one transaction per KPI): a one-off for
    KPIs stored before ``rating_changes_on`` existed, which the daily re-rating cannot find. Returns how many.
    """
    count = 0
    for found in _db().Query("kpi").iter(keys_only=True):  # keys-only entities, not keys
        refresh(found.key, today=today)
        count += 1
    return count
