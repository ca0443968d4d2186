"""
The illustrative demo roadmap (``fahrplan/demo/dortmund.yaml``): Beispieldaten of a Dortmund-like city.

:func:`load` writes it through the skeletons, so roll-ups, KPI series and the change history are maintained
exactly as for entries made in the admin. It is idempotent:

- every entity gets a named key derived from its stable identifier (department/programme short code, goal
  code, measure id, milestone/KPI position within its measure, reading date), and existing keys are skipped,
  so an interrupted load completes on the next run and nothing is duplicated;
- a completed load leaves a marker entity; later calls return 0 at once, so demo entries an editor deleted
  or changed stay as the editor left them.

Milestones and readings in the past are only marked done or written up to today, so the demo looks current
whenever it is loaded; everything else uses the fixed dates of the data file.
"""

import datetime
import hashlib
import json
import logging
import typing as t
from importlib import resources

import yaml

from ..types import MeasureStatus, MilestoneState, Principle, PrincipleState, PublicationState
from . import rollup
from .rollup import LOCAL_TZ

DATA_FILE = "dortmund.yaml"
"""The data file in the ``fahrplan.demo`` package."""

MARKER_KIND = "fahrplan_demo"
MARKER_NAME = "dortmund"
KEY_PREFIX = "demo-"
READINGS_FROM = datetime.date(2021, 3, 31)
READINGS_UNTIL = datetime.date(2026, 12, 31)


def data() -> dict[str, t.Any]:
    """The parsed data file."""
    return yaml.safe_load(resources.files("fahrplan.demo").joinpath(DATA_FILE).read_text(encoding="utf-8"))


def load(today: datetime.date | None = None) -> int:
    """
    Load the demo roadmap into the datastore; returns the number of entities written (0 when it is there).

    :param today: the date that decides which milestones are done and which readings exist (default: today).
    """
    from viur.core import db

    if db.get(db.Key(MARKER_KIND, MARKER_NAME)) is not None:
        return 0
    loader = _Loader(data(), today or datetime.datetime.now(LOCAL_TZ).date())
    written = loader.run()
    marker = db.Entity(db.Key(MARKER_KIND, MARKER_NAME))
    marker["loaded"] = datetime.datetime.now(datetime.UTC)
    marker["entities"] = written
    db.put(marker)
    logging.info(f"demo roadmap: {written} entities written")
    return written


# ---------------------------------------------------------------------------------------------------
# Pure helpers (no datastore)
# ---------------------------------------------------------------------------------------------------


def as_datetime(value: datetime.date | None) -> datetime.datetime | None:
    """A date as ViUR's ``DateBone(time=False)`` stores it: midnight UTC."""
    if value is None:
        return None
    return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)


def quarter_ends(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The last days of the quarters between ``start`` and ``end`` (both inclusive)."""
    result = []
    year, quarter = start.year, (start.month - 1) // 3
    while True:
        month = 3 * quarter + 3
        day = datetime.date(year, month, 31 if month in (3, 12) else 30)
        if day > end:
            return result
        if day >= start:
            result.append(day)
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)


def reading_value(spec: t.Mapping[str, t.Any], when: datetime.date, index: int) -> float:
    """
    An illustrative reading: the linear path from baseline to target, scaled by the KPI's ``pace`` (1 = on
    track), with a small deterministic wobble.
    """
    (start, base), (end, target) = spec["baseline"], spec["target"]
    share = min(1.0, max(0.0, (when - start).days / max(1, (end - start).days)))
    span = float(target) - float(base)
    digest = hashlib.sha256(f"{spec['name']}/{index}".encode()).digest()
    wobble = (digest[0] / 255 - 0.5) * 0.04 * span
    value = float(base) + span * share * float(spec.get("pace", 1)) + wobble
    if spec.get("unit") == "Anzahl" and abs(span) >= 50:
        return float(round(value))
    return round(value, 1 if abs(span) >= 5 else 2)


def phase_milestones(measure: t.Mapping[str, t.Any], phases: list, today: datetime.date) -> list[list]:
    """
    The default milestones of a measure without an explicit list: the phases spread over its planned period.

    Ideas have none; completed measures reached all; stopped measures reached the first and dropped the rest;
    otherwise a phase due before ``today`` is done except the last (the measure is not finished), so a measure
    is late only by an explicit list or once its last phase is due.
    """
    status = measure["status"]
    start, end = measure["plan"]
    if status == MeasureStatus.IDEA:
        return []
    rows = []
    for index, (name, share) in enumerate(phases):
        due = start + datetime.timedelta(days=round((end - start).days * share))
        last = index == len(phases) - 1
        if status == MeasureStatus.COMPLETED or (status != MeasureStatus.STOPPED and due < today and not last):
            rows.append([due, MilestoneState.DONE.value, name, due])
        elif status == MeasureStatus.STOPPED:
            rows.append([due, MilestoneState.DONE.value if index == 0 else MilestoneState.DROPPED.value, name, due])
        else:
            rows.append([due, MilestoneState.OPEN.value, name])
    return rows


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------


class _Loader:
    """Writes the data file's entries through the skeletons, skipping keys that exist."""

    def __init__(self, source: dict[str, t.Any], today: datetime.date):
        self.source = source
        self.today = today
        self.notice = source["notice"].strip()
        self.written = 0
        self.departments: dict[str, dict] = {}

    def key(self, kind: str, ident: str):
        from viur.core import db

        return db.Key(kind, f"{KEY_PREFIX}{ident}")

    def write(self, kind: str, ident: str, values: t.Mapping[str, t.Any]) -> t.Any:
        """Write one entity unless its key exists; returns the key."""
        from viur.core import db, skeleton

        key = self.key(kind, ident)
        if db.get(key) is not None:
            return key
        skel = skeleton.skeletonByKind(kind)()
        for bone, value in values.items():
            if value is None:
                continue
            if not skel.setBoneValue(bone, value):
                raise ValueError(f"demo data: {kind} {ident}: invalid value for {bone}: {value!r}")
        skel.write(key=key)
        self.written += 1
        return key

    def run(self) -> int:
        source = self.source
        for dept in source["departments"]:
            self.departments[dept["code"]] = dept
            self.write("department", dept["code"], self.department_values(dept))
        for number, programme in enumerate(source["programmes"], start=1):
            self.write(
                "programme",
                programme["code"],
                {
                    "name": programme["name"],
                    "short_code": programme["code"],
                    "description": f"<p>{programme['description'].strip()}</p><p><em>{self.notice}</em></p>",
                    "source_url": programme["source"],
                    "sortindex": number * 10,
                    "publication": PublicationState.PUBLISHED.value,
                },
            )
        for number, goal in enumerate(source["goals"], start=1):
            parent = goal["code"].rpartition(".")[0]
            self.write(
                "goal",
                f"goal-{goal['code']}",
                {
                    "name": goal["name"],
                    "code": goal["code"],
                    "parent": self.key("goal", f"goal-{parent}") if parent else None,
                    "programmes": [self.key("programme", code) for code in goal.get("programmes", [])],
                    "target": goal.get("target"),
                    "description": f"<p><em>{self.notice}</em></p>",
                    "weight": goal.get("weight", 1),
                    "sortindex": number * 10,
                    "publication": PublicationState.PUBLISHED.value,
                },
            )
        for measure in source["measures"]:
            measure_key = self.write("measure", measure["id"], self.measure_values(measure))
            milestones = measure.get("milestones") or phase_milestones(measure, source["phases"], self.today)
            self.write_milestones(measure_key, milestones, measure["id"])
            for index, spec in enumerate(measure.get("kpis", []), start=1):
                self.write_kpi(f"{measure['id']}-k{index}", spec, measure=measure_key)
        for index, spec in enumerate(source.get("goal_kpis", []), start=1):
            self.write_kpi(f"goal-{spec['goal']}-k{index}", spec, goal=self.key("goal", f"goal-{spec['goal']}"))
        return self.written

    def department_values(self, dept: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        slug = dept["code"].lower()
        number = sum(map(ord, dept["code"])) % 900 + 100
        return {
            "name": dept["name"],
            "short_code": dept["code"],
            "level": dept["level"],
            "parent": self.key("department", dept["parent"]) if dept.get("parent") else None,
            "description": self.notice,
            "email": f"{'amt' + slug if slug.isdigit() else slug}@dortmund.example",
            "phone": f"+49 231 50-{number}00",
            "postal_address": f"Stadt Dortmund\n{dept['name']}\nBeispielplatz {number % 40 + 1}\n44135 Dortmund",
            "website": f"https://www.dortmund.example/{slug}/",
        }

    def measure_values(self, measure: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        lead = self.departments[measure["lead"]]
        lead_values = self.department_values(lead)
        contact = measure.get("contact") or {
            "name": f"Digitalisierungsteam, {lead['name']}",
            "email": lead_values["email"],
            "phone": lead_values["phone"],
        }
        start, end = measure["plan"]
        actual = list(measure.get("actual", [])) + [None, None]
        if measure["status"] == MeasureStatus.COMPLETED and actual[1] is None:
            actual[1] = end
        values = {
            "name": measure["name"],
            "external_id": measure["id"],
            "summary": measure["summary"],
            "description": f"<p>{measure['summary']}</p><p><em>{self.notice}</em></p>",
            "goals": [self.key("goal", f"goal-{code}") for code in measure["goals"]],
            "programme": self.key("programme", measure["programme"]),
            "lead_department": self.key("department", measure["lead"]),
            "departments": [self.key("department", code) for code in measure.get("departments", [])],
            "status": measure["status"],
            "status_note": measure.get("status_note"),
            "weight": measure.get("weight", 1),
            "planned_start": as_datetime(start),
            "planned_end": as_datetime(end),
            "actual_start": as_datetime(actual[0]),
            "actual_end": as_datetime(actual[1]),
            "publication": measure.get("publication", PublicationState.PUBLISHED.value),
            "responsible": f"Projektleitung {measure['id']} (Beispiel)",
            "responsible_email": f"projekt.{measure['id'].lower()}@dortmund.example",
            "contact_name": contact["name"],
            "contact_email": contact["email"],
            "contact_phone": contact["phone"],
        }
        if budget := measure.get("budget"):
            values["budget_planned"], values["budget_spent"] = budget
        if location := measure.get("location"):
            values["location_name"], values["latitude"], values["longitude"] = location
        for name, state in (measure.get("principles") or {}).items():
            values[f"principle_{name}"] = self.principle_value(Principle(name), PrincipleState(state), measure)
        return values

    def principle_value(self, principle: Principle, state: PrincipleState, measure: t.Mapping) -> dict[str, t.Any]:
        record: dict[str, t.Any] = {"state": state.value}
        if state is PrincipleState.FULFILLED:
            record["note"] = f"{principle.label}: geprüft (Beispiel)."
        if principle is Principle.OPEN_SOURCE and state is PrincipleState.FULFILLED:
            record["licence"] = "EUPL-1.2"
            record["repository_url"] = f"https://code.dortmund.example/{measure['id'].lower()}"
        return record

    def milestone_values(self, measure: t.Any, row: list) -> dict[str, t.Any]:
        planned, state, name, *rest = row
        return {
            "measure": measure,
            "name": name,
            "planned_date": as_datetime(planned),
            "state": state,
            "actual_date": as_datetime(rest[0]) if rest and state == MilestoneState.DONE else None,
            "weight": 1.0,
        }

    def write_kpi(self, ident: str, spec: t.Mapping[str, t.Any], **parent: t.Any) -> None:
        (baseline_date, baseline), (target_date, target) = spec["baseline"], spec["target"]
        kpi_key = self.write(
            "kpi",
            ident,
            {
                **parent,
                "name": spec["name"],
                "description": self.notice,
                "unit": spec.get("unit"),
                "direction": spec.get("direction", "higher"),
                "baseline_value": baseline,
                "baseline_date": as_datetime(baseline_date),
                "target_value": target,
                "target_date": as_datetime(target_date),
                "source": "Beispieldaten (illustrativ)",
            },
        )
        until = min(self.today, READINGS_UNTIL, target_date + datetime.timedelta(days=92))
        start = max(READINGS_FROM, baseline_date + datetime.timedelta(days=1))
        self.write_readings(
            kpi_key,
            ident,
            [(when, reading_value(spec, when, index)) for index, when in enumerate(quarter_ends(start, until))],
        )

    def write_raw(self, kind: str, items: list[tuple[str, dict[str, t.Any]]]) -> list:
        """
        Write the missing entities of ``items`` (``(ident, values)``) in one batch; returns the keys written.

        For the many children of a measure (milestones, readings): a skeleton write each (one transaction,
        roll-up and history entry per entity) would make the demo slow to load. The entities are built exactly
        like skeleton-written ones (:mod:`fahrplan.testing.entities`); the caller then runs the service the
        skeletons call on write once for the parent.
        """
        from viur.core import db

        from ..testing.entities import EntityFactory

        keys = [self.key(kind, ident) for ident, _ in items]
        stored = {entity.key for entity in db.get(keys) if entity is not None} if keys else set()
        factory = EntityFactory()
        entities = [
            factory.entity(key, values) for key, (_, values) in zip(keys, items, strict=True) if key not in stored
        ]
        if entities:
            db.put(entities)
        self.written += len(entities)
        return [entity.key for entity in entities]

    def write_milestones(self, measure_key: t.Any, rows: list[list], measure_id: str) -> None:
        """A measure's milestones in one batch, then its progress and roll-up once (``rollup.refresh_measure``)."""
        from viur.core import db

        from ..testing.entities import EntityFactory

        measure = db.get(measure_key)
        reference = EntityFactory().ref("milestone", "measure", measure)
        public = measure.get("publication") == PublicationState.PUBLISHED
        items = [
            (f"{measure_id}-m{index}", self.milestone_values(reference, row) | {"is_public": public})
            for index, row in enumerate(rows, start=1)
        ]
        if self.write_raw("milestone", items):
            rollup.refresh_measure(measure_key, self.today, rescan=True)  # children written without a skeleton

    def write_readings(self, kpi_key: t.Any, ident: str, readings: list[tuple[datetime.date, float]]) -> None:
        """A KPI's readings in one batch, then its series and rating once (``kpis.refresh``)."""
        from viur.core import db

        from ..testing.entities import EntityFactory
        from . import kpi as method
        from . import kpis

        kpi = db.get(kpi_key)
        reference = EntityFactory().ref("kpi_reading", "kpi", kpi)
        public = kpis.is_public(kpi_key)
        items = [
            (
                f"{ident}-{when.isoformat()}",
                {
                    "kpi": reference,
                    "date": as_datetime(when),
                    "value": float(value),
                    "source": "Beispieldaten (illustrativ)",
                    "is_public": public,
                },
            )
            for when, value in readings
        ]
        written = set(self.write_raw("kpi_reading", items))
        if not written:
            return
        series = json.loads(kpi.get("series") or "[]")
        for item_ident, values in items:
            key = self.key("kpi_reading", item_ident)
            if key in written:
                ident_of_key = key.to_legacy_urlsafe().decode()
                series = method.insert_reading(series, values["date"].date(), values["value"], ident_of_key)
        kpi["series"] = json.dumps(series)
        db.put(kpi)
        kpis.refresh(kpi_key)
