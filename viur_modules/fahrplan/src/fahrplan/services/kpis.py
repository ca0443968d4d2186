"""KPIs in the datastore: keep each KPI's series, latest value and rating current as readings arrive."""

import datetime
import json
import typing as t

from . import kpi as method
from .rollup import dest_key, local_date


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
    return bool(parent_entity) and parent_entity.get("publication") == "published"


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


def refresh(
    kpi_key,
    add: tuple[t.Any, t.Any, float] | None = None,
    remove: t.Any | None = None,
    today: datetime.date | None = None,
) -> None:
    """
    In one transaction: add or remove one reading in the KPI's series, then re-derive its latest value and rating.

    Cheap with thousands of readings: one entity read and written, no query.
    """
    db = _db()
    public = is_public(kpi_key)

    def txn():
        entity = db.get(kpi_key)
        if entity is None:
            return
        series = _loads(entity.get("series")) or []
        if remove is not None:
            series = method.remove_reading(series, remove.to_legacy_urlsafe().decode())
        if add is not None:
            reading_key, date, value = add
            series = method.insert_reading(series, local_date(date), value, reading_key.to_legacy_urlsafe().decode())
        latest = method.latest(series)
        assessment = method.assess(
            direction=entity.get("direction") or "higher",
            baseline_value=float(entity.get("baseline_value") or 0),
            baseline_date=local_date(entity.get("baseline_date")) or datetime.date.today(),
            target_value=float(entity.get("target_value") or 0),
            target_date=local_date(entity.get("target_date")) or datetime.date.today(),
            latest=latest,
            unit=entity.get("unit") or "",
            today=today,
        )
        entity["series"] = json.dumps(series)
        entity["reading_count"] = len(series)
        entity["latest_value"] = latest[1] if latest else None
        entity["latest_date"] = (
            datetime.datetime.combine(latest[0], datetime.time(), tzinfo=datetime.UTC) if latest else None
        )
        entity["rating"] = assessment.rating.value
        entity["rating_text"] = assessment.explanation
        entity["is_public"] = public
        db.put(entity)

    db.run_in_transaction(txn)


def _loads(value: t.Any) -> t.Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value
