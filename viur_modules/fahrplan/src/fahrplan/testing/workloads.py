"""
Scale workloads: a synthetic roadmap of any size, written in bulk, for benchmarks and scale tests.

``generate("S")`` writes 300 measures, ``generate("L")`` 10,000 measures; each measure gets 5 milestones
and 1 KPI with 50 monthly readings, plus departments, programmes and a goal tree. Mostly published.

Entities are written raw in batches (:mod:`fahrplan.testing.entities`), but they are indistinguishable from
skeleton-written ones where the app reads them: derived fields (progress, delay, next milestone, principle
index, roll-up contribution), the roll-up sums of goals, programmes and the roadmap, and each KPI's series and
rating are computed with the same pure functions :mod:`fahrplan.services.rollup` and
:mod:`fahrplan.services.kpi` use on write, so ``rollup.recompute_all()`` afterwards changes nothing.
No change history is written (the workload has no past).
"""

import datetime
import json
import random
import time
import typing as t

from ..services import kpi as kpi_method
from ..services import rollup
from ..types import KpiDirection, MeasureStatus, MilestoneState, Principle, PrincipleState, PublicationState
from .entities import EntityFactory, Writer, quiet_client

SIZES = {"S": 300, "L": 10_000}
"""Measures per named size."""

MILESTONES_PER_MEASURE = 5
READINGS_PER_KPI = 50
PROGRAMMES = [
    ("arbeiten-4-0", "Digitale Verwaltung – Arbeiten 4.0"),
    ("digitale-bildung", "Digitale Bildung"),
    ("smart-city", "Smart City"),
    ("ozg", "OZG-Umsetzung"),
]
STATUS_MIX = [
    (MeasureStatus.IDEA, 5),
    (MeasureStatus.PLANNED, 15),
    (MeasureStatus.IN_PROGRESS, 50),
    (MeasureStatus.COMPLETED, 20),
    (MeasureStatus.DELAYED, 7),
    (MeasureStatus.STOPPED, 3),
]
PUBLICATION_MIX = [(PublicationState.PUBLISHED, 90), (PublicationState.REVIEW, 6), (PublicationState.DRAFT, 4)]
WORDS = (
    "Digitalisierung Bürgerportal Fachverfahren Schnittstelle E-Akte Schule WLAN Sensor Daten Portal Antrag "
    "Verwaltung Prozess Plattform Open-Data Mobilität Beteiligung Sicherheit Barrierefreiheit Service Termin"
).split()


def generate(
    size: str = "S",
    *,
    seed: int = 1,
    measures: int | None = None,
    today: datetime.date | None = None,
    relations: bool = False,
) -> dict[str, int]:
    """
    Write a synthetic roadmap; returns the number of entities written per kind (plus ``seconds``).

    :param size: ``"S"`` (300 measures) or ``"L"`` (10,000 measures).
    :param seed: the random seed; the same seed gives the same names, statuses and dates.
    :param measures: the number of measures instead of a named size (small numbers for tests).
    :param today: the date derived values are computed for (default: today in Europe/Berlin).
    :param relations: also write viur-core's ``viur-relations`` entries, as skeleton writes do. Off by
        default: the app never reads them (viur-core only uses them to update copied refKeys after an edit,
        and that lookup does not work on the emulator) and they double the number of entities.
    """
    if measures is None:
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}; use one of {', '.join(SIZES)}")
        measures = SIZES[size]
    started = time.monotonic()
    workload = _Workload(measures, random.Random(seed), today or rollup.local_today())
    with quiet_client(), Writer() as writer:
        counts = workload.run(EntityFactory(relations=relations), writer)
    from ..services import catalogue, sums

    sums.fold_pending()  # the measures' contributions reach the sums now (as after their skeleton writes)
    # The bulk writes bypass the catalogue's change log: a snapshot of them is what every instance starts from.
    catalogue.write_snapshot()
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def _pick(rng: random.Random, mix: list[tuple[t.Any, int]]) -> t.Any:
    return rng.choices([value for value, _ in mix], weights=[weight for _, weight in mix])[0]


def _date(value: datetime.date) -> datetime.datetime:
    return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)


def _month_ends(last: datetime.date, count: int) -> list[datetime.date]:
    """``count`` month ends up to ``last`` (oldest first)."""
    result = []
    year, month = last.year, last.month
    for _ in range(count):
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        result.append(following - datetime.timedelta(days=1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return result[::-1]


class _Workload:
    def __init__(self, measures: int, rng: random.Random, today: datetime.date):
        self.count = measures
        self.rng = rng
        self.today = today
        self.counts: dict[str, int] = {}
        self.pending: list = []
        self.writer: Writer | None = None

    def emit(self, entities: list, factory: EntityFactory) -> None:
        """Queue entities (with their unique locks and relation entries); written in batches."""
        for entity in entities:
            self.counts[entity.key.kind] = self.counts.get(entity.key.kind, 0) + 1
            self.pending.append(entity)
            self.pending += factory.unique_locks(entity)
            self.pending += factory.relation_entries(entity)
        if len(self.pending) >= 5000:
            self.flush()

    def flush(self) -> None:
        self.writer.put(self.pending)
        self.pending = []

    def run(self, factory: EntityFactory, writer: Writer) -> dict[str, int]:
        rng = self.rng
        self.writer = writer
        # --- organisation and goal tree ---------------------------------------------------------
        n_departments = 15 + self.count // 500
        dept_keys = factory.keys("department", n_departments)
        departments = []
        for index, key in enumerate(dept_keys):
            top = index < 5
            departments.append(
                factory.entity(
                    key,
                    {
                        "name": f"{'Dezernat' if top else 'Amt'} {index + 1} (Lastdaten)",
                        "short_code": f"WL-{key.id_or_name}",
                        "level": "dezernat" if top else "fachbereich",
                        "parent": None if top else factory.ref("department", "parent", departments[index % 5]),
                        "email": f"amt{index + 1}@dortmund.example",
                        "phone": f"+49 231 50-{index:04d}",
                        "postal_address": f"Beispielplatz {index + 1}\n44135 Dortmund",
                    },
                )
            )
        programmes = [
            factory.entity(
                key,
                {
                    "name": name,
                    "short_code": f"{code}-{key.id_or_name}",
                    "description": f"Lastdaten für {name}.",
                    "sortindex": index,
                    "publication": PublicationState.PUBLISHED.value,
                },
            )
            for index, (key, (code, name)) in enumerate(zip(factory.keys("programme", 4), PROGRAMMES, strict=True))
        ]
        n_top, n_sub = 10, 25 + self.count // 100
        goal_keys = factory.keys("goal", n_top + n_sub)
        goals = []
        for index, key in enumerate(goal_keys[:n_top]):
            goals.append(
                factory.entity(
                    key,
                    {
                        "name": f"Leitziel {index + 1} (Lastdaten)",
                        "code": str(index + 1),
                        "level": "goal",
                        "ancestor_keys": [],
                        "programmes": [factory.ref("goal", "programmes", programmes[index % 4])],
                        "publication": PublicationState.PUBLISHED.value,
                        "sortindex": index,
                    },
                )
            )
        subgoals = []
        for index, key in enumerate(goal_keys[n_top:]):
            parent = goals[index % n_top]
            subgoals.append(
                factory.entity(
                    key,
                    {
                        "name": f"Teilziel {parent['code']}.{index // n_top + 1} (Lastdaten)",
                        "code": f"{parent['code']}.{index // n_top + 1}",
                        "level": "subgoal",
                        "parent": factory.ref("goal", "parent", parent),
                        "ancestor_keys": [parent.key.to_legacy_urlsafe().decode()],
                        "weight": float(rng.choice([1, 1, 1, 2])),
                        "publication": PublicationState.PUBLISHED.value,
                        "sortindex": index,
                    },
                )
            )
        all_goals = goals + subgoals
        goal_by_key = {goal.key: goal for goal in all_goals}
        for entity in programmes + all_goals:
            entity["progress"] = entity["progress_public"] = 0.0
        # The goal tree is stored before any roll-up change that counts for it (a fold skips missing targets).
        self.emit(departments + programmes + all_goals, factory)
        self.flush()
        self.writer.wait()

        # --- measures with milestones, KPIs and readings, in chunks -------------------------------
        # Their contributions reach the sums through the roll-up's change log, exactly as a skeleton write's
        # do: the generator never writes sums it read, so editors may work while it runs.
        chunk = 500
        for start in range(0, self.count, chunk):
            size = min(chunk, self.count - start)
            self.measures(factory, start, size, departments, programmes, subgoals, goal_by_key)
        self.flush()
        return dict(sorted(self.counts.items()))

    def measures(self, factory, start, size, departments, programmes, subgoals, goal_by_key) -> None:
        rng, today = self.rng, self.today
        measure_keys = factory.keys("measure", size)
        milestone_keys = iter(factory.keys("milestone", size * MILESTONES_PER_MEASURE))
        kpi_keys = iter(factory.keys("kpi", size))
        reading_keys = iter(factory.keys("kpi_reading", size * READINGS_PER_KPI))
        batch = []
        for offset, key in enumerate(measure_keys):
            number = start + offset + 1
            status = _pick(rng, STATUS_MIX)
            publication = _pick(rng, PUBLICATION_MIX)
            begin = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(0, 6 * 365))
            end = begin + datetime.timedelta(days=rng.randrange(365, 4 * 365))
            goal_list = rng.sample(subgoals, rng.choice([1, 1, 2]))
            lead = departments[5 + rng.randrange(len(departments) - 5)]
            words = " ".join(rng.sample(WORDS, 3))
            values = {
                "name": f"Maßnahme {number}: {words}",
                "external_id": f"WL-{number:05d}-{key.id_or_name}",
                "summary": f"Lastdaten: {words} (Beispieldaten).",
                "description": f"<p>Lastdaten für Skalierungstests: {words}.</p>",
                "goals": [factory.ref("measure", "goals", goal) for goal in goal_list],
                "programme": factory.ref("measure", "programme", programmes[number % 4]),
                "lead_department": factory.ref("measure", "lead_department", lead),
                "departments": [factory.ref("measure", "departments", rng.choice(departments))],
                "status": status.value,
                "weight": float(rng.choice([1, 1, 1, 2, 3])),
                "planned_start": _date(begin),
                "planned_end": _date(end),
                "actual_start": _date(begin) if status not in (MeasureStatus.IDEA, MeasureStatus.PLANNED) else None,
                "actual_end": _date(end) if status == MeasureStatus.COMPLETED else None,
                "publication": publication.value,
                "contact_name": f"Team {lead['name']}",
                "contact_email": lead["email"],
                "status_note": "Verzögert (Lastdaten)." if status == MeasureStatus.DELAYED else "",
            }
            if rng.random() < 0.7:
                for principle in Principle:
                    state = rng.choice(list(PrincipleState))
                    values[f"principle_{principle.value}"] = _record({"state": state.value})
            milestones = self.milestones(factory, milestone_keys, begin, end, status)
            public = publication == PublicationState.PUBLISHED
            measure = factory.entity(key, values)
            for milestone in milestones:
                milestone["measure"] = factory.ref("milestone", "measure", measure)
                milestone["is_public"] = public
            derived = rollup.derive(measure, milestones, today)
            measure.update(derived)
            measure["next_milestone_date"] = derived["next_milestone_date"]
            goals = {goal.key: goal_by_key[goal.key] for goal in goal_list}
            contribution = rollup.contribution(measure, derived, goals)
            measure.update(_indexes(measure, contribution))
            measure["rollup"] = json.dumps(contribution)
            measure["rollup_seq"] = 1
            measure["rollup_pending"] = False
            # the catalogue's bookkeeping as after a first write; the snapshot written at the end lists them
            measure["catalogue_seq"] = 0
            measure["catalogue_listed"] = measure.get("publication") == PublicationState.PUBLISHED.value
            self.pending.append(_change(measure.key, contribution))  # not a skeleton's kind: no locks, no relations
            kpi, readings = self.kpi(factory, next(kpi_keys), reading_keys, measure, public)
            measure["child_keys"] = rollup.child_keys(milestones, [kpi])
            measure["synced_at"] = datetime.datetime.now(datetime.UTC)
            batch += [measure, *milestones, kpi, *readings]
        self.emit(batch, factory)

    def milestones(self, factory, keys, begin, end, status) -> list:
        rng, today = self.rng, self.today
        result = []
        for index in range(MILESTONES_PER_MEASURE):
            due = begin + (end - begin) * (index + 1) // MILESTONES_PER_MEASURE
            if status == MeasureStatus.COMPLETED or (due < today and rng.random() < 0.85):
                state = MilestoneState.DONE
            elif status == MeasureStatus.STOPPED:
                state = MilestoneState.DROPPED
            else:
                state = MilestoneState.OPEN
            result.append(
                factory.entity(
                    next(keys),
                    {
                        "name": f"Zwischenziel {index + 1}",
                        "planned_date": _date(due),
                        "actual_date": _date(min(due, today)) if state == MilestoneState.DONE else None,
                        "state": state.value,
                        "weight": 1.0,
                    },
                )
            )
        return result

    def kpi(self, factory, key, reading_keys, measure, public) -> tuple:
        rng, today = self.rng, self.today
        direction = KpiDirection.LOWER if rng.random() < 0.2 else KpiDirection.HIGHER
        dates = _month_ends(today.replace(day=1) - datetime.timedelta(days=1), READINGS_PER_KPI)
        baseline_date = dates[0] - datetime.timedelta(days=31)
        target_date = baseline_date + datetime.timedelta(days=5 * 365)
        baseline, target = (100.0, 20.0) if direction is KpiDirection.LOWER else (0.0, 100.0)
        pace = rng.uniform(0.5, 1.3)
        kpi = factory.entity(
            key,
            {
                "measure": factory.ref("kpi", "measure", measure),
                "name": f"Kennzahl zu {measure['external_id']}",
                "unit": "%",
                "direction": direction.value,
                "baseline_value": baseline,
                "baseline_date": _date(baseline_date),
                "target_value": target,
                "target_date": _date(target_date),
                "is_public": public,
            },
        )
        readings, series = [], []
        total = (target_date - baseline_date).days
        for when in dates:
            share = (when - baseline_date).days / total
            value = round(baseline + (target - baseline) * min(1.0, share * pace) + rng.uniform(-2, 2), 2)
            reading = factory.entity(next(reading_keys), {"date": _date(when), "value": value, "is_public": public})
            readings.append(reading)
            series.append([when.isoformat(), float(value), reading.key.to_legacy_urlsafe().decode()])
        series.sort(key=lambda row: (row[0], row[2]))
        latest = kpi_method.latest(series)
        inputs = {
            "direction": direction,
            "baseline_value": baseline,
            "baseline_date": baseline_date,
            "target_value": target,
            "target_date": target_date,
            "latest": latest,
            "unit": "%",
            "today": today,
        }
        assessment = kpi_method.assess(**inputs)
        changes_on = kpi_method.rating_changes_on(**inputs)
        kpi["series"] = json.dumps(series)
        kpi["reading_count"] = len(series)
        kpi["latest_value"] = latest[1]
        kpi["latest_date"] = datetime.datetime.combine(latest[0], datetime.time(), tzinfo=datetime.UTC)
        kpi["rating"] = assessment.rating.value
        kpi["rating_text"] = assessment.explanation
        kpi["rating_changes_on"] = rollup.local_midnight(changes_on) if changes_on else None
        reference = factory.ref("kpi_reading", "kpi", kpi)
        for reading in readings:
            reading["kpi"] = reference
        return kpi, readings


def _change(measure_key, contribution: dict) -> t.Any:
    """The roll-up change a new measure's first refresh logs (see :func:`fahrplan.services.sums.record`)."""
    from viur.core import db

    from ..services import sums

    entity = db.Entity(sums.change_key(measure_key, 1), exclude_from_indexes=("old", "new", "measure"))
    entity.update(
        measure=measure_key.to_legacy_urlsafe().decode(),
        seq=1,
        old=json.dumps(None),
        new=json.dumps(contribution),
        created=datetime.datetime.now(datetime.UTC),
    )
    return entity


def _indexes(measure: t.Any, contribution: dict) -> dict[str, t.Any]:
    """The flat filter and search lists ``rollup.refresh_measure`` writes."""
    return rollup.indexes(measure, contribution)


def _record(values: dict) -> t.Any:
    """A RecordBone value as stored: an embedded entity."""
    from viur.core import db

    entity = db.Entity()
    entity.update(values)
    return entity
