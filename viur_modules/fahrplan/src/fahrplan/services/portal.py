"""
What the public portal shows, read straight from the datastore as plain dicts (published entities only).

Every function here answers one page in at most four datastore round trips, whatever the size of the
roadmap: aggregates come from the sums the roll-up keeps on write (:mod:`fahrplan.services.rollup`), lists
are limited index queries, and the small reference data (programmes, goals, departments) is read once per
:data:`REFERENCE_TTL` seconds per instance. Nothing here scans measures.

The rule "anonymous visitors see published entities only" is applied here, in the queries, for every page,
filter, count and chart: measures need ``publication = published``; milestones, KPIs and history entries
need ``is_public`` (kept equal to their measure's publication by the roll-up); goals and programmes need
``publication = published``; departments are always public (they are the analogue contact channel).
"""

import dataclasses
import datetime
import html
import itertools
import json
import threading
import time
import typing as t

from viur.core import db

from ..types import MeasureStatus, MilestoneState, Principle, PrincipleState, PublicationState
from . import pagecache, rollup

PUBLISHED = PublicationState.PUBLISHED.value

PAGE_SIZE = 20
"""Measures per page of the measure list."""

TIMELINE_PAGE_SIZE = 100
"""Measures per page of the timeline."""

SEARCH_LIMIT = 200
"""At most this many measures match a full-text search (then the other filters apply in memory)."""

REFERENCE_TTL = 60.0
"""Seconds the reference data (programmes, goals, departments) is kept per instance."""

SORTS: dict[str, tuple[str, db.SortOrder]] = {
    "name": ("name", db.SortOrder.Ascending),
    "fortschritt": ("progress", db.SortOrder.Descending),
    "ende": ("planned_end", db.SortOrder.Ascending),
    "aktualisiert": ("changedate", db.SortOrder.Descending),
}
"""The measure list's sort orders (URL value → property, direction). ``deploy/index.yaml`` has one index per
sort and filter property; the datastore merges them for combined filters."""

FILTER_PROPERTIES = {
    "programm": "programme.dest.short_code",
    "ziel": "goal_index",
    "amt": "lead_department.dest.short_code",
    "status": "status",
}
"""Measure-list filters (URL parameter → property; equality filters the index merge serves)."""


def key_of(entity: t.Any) -> str:
    """The URL-safe key of an entity (as the JSON API shows it)."""
    return entity.key.to_legacy_urlsafe().decode()


def parse_key(value: str | None, kind: str) -> db.Key | None:
    """A key of ``kind`` from its URL-safe form, or None for anything else (never an error page of the datastore)."""
    if not value or len(value) > 500:
        return None
    try:
        key = db.Key.from_legacy_urlsafe(value)
    except Exception:  # malformed input from the URL
        return None
    return key if key.kind == kind else None


def _s(value: t.Any) -> str:
    """A stored plain-text value for display: viur-core stores string bones HTML-escaped; templates escape again."""
    return html.unescape(str(value)) if value not in (None, "") else ""


def _loads(value: t.Any) -> t.Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _dest(value: t.Any) -> dict | None:
    """A relational value's referenced entity as a dict with its ``key`` (URL-safe), or None."""
    if not value or not isinstance(value, dict) or not value.get("dest"):
        return None
    dest = value["dest"]
    result = {name: _s(value) if isinstance(value, str) else value for name, value in dest.items()}
    key = rollup.dest_key(value)
    result["key"] = key.to_legacy_urlsafe().decode() if key is not None else None
    return result


def _dests(value: t.Any) -> list[dict]:
    values = value if isinstance(value, list) else [value] if value else []
    return [dest for dest in (_dest(item) for item in values) if dest]


# ------------------------------------------------------------------------------
# Reference data: programmes, goals, departments
#


@dataclasses.dataclass
class Reference:
    """The published programmes and goals and all departments, with lookups."""

    programmes: list[dict]
    goals: list[dict]
    departments: list[dict]
    loaded: float = 0.0

    def programme(self, short_code: str | None) -> dict | None:
        return next((item for item in self.programmes if item["short_code"] == short_code), None)

    def goal(self, key: str | None) -> dict | None:
        """A goal by its URL-safe key (goal codes are not unique across a city's plans)."""
        return next((item for item in self.goals if item["key"] == key), None)

    def department(self, short_code: str | None) -> dict | None:
        return next((item for item in self.departments if item["short_code"] == short_code), None)

    def goal_tree(self) -> list[dict]:
        """Leitziele with their Teilziele (``children``), both in code order."""
        by_key = {goal["key"]: dict(goal, children=[]) for goal in self.goals}
        roots = []
        for goal in by_key.values():
            parent = by_key.get(goal["parent_key"]) if goal["parent_key"] else None
            (parent["children"] if parent else roots).append(goal)
        return roots


def _programme(entity: t.Any) -> dict:
    return {
        "key": key_of(entity),
        "name": _s(entity.get("name")),
        "short_code": _s(entity.get("short_code")),
        "description": entity.get("description") or "",
        "source_url": _s(entity.get("source_url")),
        "progress": float(entity.get("progress_public") or 0),
        "sums": (_loads(entity.get("rollup")) or {}).get("public") or rollup.empty_sums(),
        "sortindex": entity.get("sortindex") or 0,
    }


def _goal(entity: t.Any) -> dict:
    parent = _dest(entity.get("parent"))
    return {
        "key": key_of(entity),
        "name": _s(entity.get("name")),
        "code": _s(entity.get("code")),
        "level": entity.get("level") or "goal",
        "description": entity.get("description") or "",
        "target": entity.get("target") or "",
        "parent_key": parent["key"] if parent else None,
        "programmes": _dests(entity.get("programmes")),
        "progress": float(entity.get("progress_public") or 0),
        "sums": (_loads(entity.get("rollup")) or {}).get("public") or rollup.empty_sums(),
    }


def _department(entity: t.Any) -> dict:
    parent = _dest(entity.get("parent"))
    return {
        "key": key_of(entity),
        "name": _s(entity.get("name")),
        "short_code": _s(entity.get("short_code")),
        "level": _s(entity.get("level")),
        "description": entity.get("description") or "",
        "email": _s(entity.get("email")),
        "phone": _s(entity.get("phone")),
        "postal_address": _s(entity.get("postal_address")),
        "website": _s(entity.get("website")),
        "parent": parent,
    }


def _code_order(code: str) -> tuple:
    """``"1.10"`` after ``"1.9"``: numeric parts compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in code.split("."))


_reference: Reference | None = None
_reference_lock = threading.Lock()


def reference(max_age: float = REFERENCE_TTL) -> Reference:
    """The reference data, read at most once per ``max_age`` seconds per instance (three queries)."""
    global _reference
    with _reference_lock:
        if _reference is not None and time.monotonic() - _reference.loaded < max_age:
            return _reference
        programmes = [
            _programme(entity) for entity in db.Query("programme").filter("publication =", PUBLISHED).run(limit=500)
        ]
        programmes.sort(key=lambda item: (item["sortindex"], item["name"]))
        goals = [_goal(entity) for entity in db.Query("goal").filter("publication =", PUBLISHED).run(limit=2000)]
        goals.sort(key=lambda item: _code_order(item["code"]))
        departments = [_department(entity) for entity in db.Query("department").run(limit=2000)]
        departments.sort(key=lambda item: item["name"].casefold())
        _reference = Reference(programmes, goals, departments, loaded=time.monotonic())
        return _reference


def forget_reference() -> None:
    """Drop the cached reference data (after a write in this instance, and in tests)."""
    global _reference
    with _reference_lock:
        _reference = None


def invalidate() -> None:
    """After a write in this instance: forget rendered pages and reference data (other instances follow by TTL)."""
    pagecache.pages.clear()
    forget_reference()


# ------------------------------------------------------------------------------
# Measures
#


def measure_summary(entity: t.Any) -> dict:
    """What lists, tiles and the timeline show of a measure."""
    return {
        "key": key_of(entity),
        "name": _s(entity.get("name")),
        "external_id": _s(entity.get("external_id")),
        "summary": _s(entity.get("summary")),
        "status": entity.get("status") or MeasureStatus.PLANNED.value,
        "progress": float(entity.get("progress") or 0),
        "is_delayed": bool(entity.get("is_delayed")),
        "delay_reason": _s(entity.get("delay_reason")),
        "programme": _dest(entity.get("programme")),
        "lead_department": _dest(entity.get("lead_department")),
        "planned_start": rollup.local_date(entity.get("planned_start")),
        "planned_end": rollup.local_date(entity.get("planned_end")),
        "actual_start": rollup.local_date(entity.get("actual_start")),
        "actual_end": rollup.local_date(entity.get("actual_end")),
        "changedate": entity.get("changedate"),
    }


def measure_detail(entity: t.Any) -> dict:
    """Everything the measure page shows (only public bones)."""
    result = measure_summary(entity)
    principles = []
    for principle in Principle:
        record = entity.get(f"principle_{principle.value}") or {}
        record = _loads(record) or {}
        principles.append(
            {
                "principle": principle.value,
                "state": record.get("state") or "",  # not assessed yet
                "evidence_url": _s(record.get("evidence_url")),
                "note": _s(record.get("note")),
                "licence": _s(record.get("licence")),
                "repository_url": _s(record.get("repository_url")),
            }
        )
    result.update(
        description=entity.get("description") or "",
        status_note=_s(entity.get("status_note")),
        progress_source=entity.get("progress_source") or "status",
        goals=_dests(entity.get("goals")),
        departments=_dests(entity.get("departments")),
        contact_name=_s(entity.get("contact_name")),
        contact_email=_s(entity.get("contact_email")),
        contact_phone=_s(entity.get("contact_phone")),
        location_name=_s(entity.get("location_name")),
        latitude=entity.get("latitude"),
        longitude=entity.get("longitude"),
        budget_planned=entity.get("budget_planned"),
        budget_spent=entity.get("budget_spent"),
        overdue_count=int(entity.get("overdue_count") or 0),
        principles=principles,
    )
    return result


def published_measure(key: db.Key | None) -> t.Any:
    """The stored measure, if it is published (else None: drafts do not exist for the public)."""
    if key is None:
        return None
    entity = db.get(key)
    if entity is None or entity.get("publication") != PUBLISHED:
        return None
    return entity


def milestone_view(entity: t.Any, today: datetime.date) -> dict:
    planned = rollup.local_date(entity.get("planned_date"))
    state = entity.get("state") or MilestoneState.OPEN.value
    return {
        "key": key_of(entity),
        "name": _s(entity.get("name")),
        "description": entity.get("description") or "",
        "planned_date": planned,
        "actual_date": rollup.local_date(entity.get("actual_date")),
        "state": state,
        "overdue": rollup.is_overdue(state, planned, today),
        "measure": _dest(entity.get("measure")),
    }


def kpi_view(entity: t.Any) -> dict:
    series = _loads(entity.get("series")) or []
    points = []
    for item in series:
        try:
            points.append((datetime.date.fromisoformat(str(item[0])[:10]), float(item[1])))
        except (TypeError, ValueError, IndexError):
            continue
    points.sort()
    return {
        "key": key_of(entity),
        "name": _s(entity.get("name")),
        "description": entity.get("description") or "",
        "unit": _s(entity.get("unit")),
        "direction": entity.get("direction") or "higher",
        "baseline_value": entity.get("baseline_value"),
        "baseline_date": rollup.local_date(entity.get("baseline_date")),
        "target_value": entity.get("target_value"),
        "target_date": rollup.local_date(entity.get("target_date")),
        "source": _s(entity.get("source")),
        "rating": entity.get("rating") or "no_data",
        "rating_text": _s(entity.get("rating_text")),
        "latest_value": entity.get("latest_value"),
        "latest_date": rollup.local_date(entity.get("latest_date")),
        "points": points,
    }


def change_view(entity: t.Any) -> dict:
    changes = _loads(entity.get("changes")) or []
    return {
        "date": entity.get("creationdate"),
        "action": entity.get("action") or "",
        "entity_kind": entity.get("entity_kind") or "",
        "entity_name": _s(entity.get("entity_name")),
        "reason": _s(entity.get("reason")),
        "changes": [change for change in changes if isinstance(change, dict)],
    }


def measure_page(key: db.Key | None, today: datetime.date) -> dict | None:
    """The measure page: the measure, its milestones, KPIs and public history (four round trips)."""
    entity = published_measure(key)
    if entity is None:
        return None
    milestones = [
        milestone_view(item, today)
        for item in rollup.referencing("milestone", "measure", entity.key).run(limit=500)
        if item.get("is_public")
    ]
    milestones.sort(key=lambda item: (item["planned_date"] or datetime.date.max, item["name"]))
    kpis = [
        kpi_view(item)
        for item in rollup.referencing("kpi", "measure", entity.key).run(limit=100)
        if item.get("is_public")
    ]
    kpis.sort(key=lambda item: item["name"])
    history = [
        change_view(item)
        for item in db.Query("change")
        .filter("measure_key =", key_of(entity))
        .order(("creationdate", db.SortOrder.Descending))
        .run(limit=50)
        if item.get("is_public")
    ]
    return {"measure": measure_detail(entity), "milestones": milestones, "kpis": kpis, "history": history}


@dataclasses.dataclass
class MeasureFilter:
    """The measure list's state, as it appears in the URL (every state is a shareable link)."""

    programm: str = ""
    ziel: str = ""
    amt: str = ""
    status: str = ""
    verzoegert: bool = False
    grundsatz: str = ""
    grundsatz_stand: str = ""
    suche: str = ""
    sortierung: str = "name"
    weiter: str = ""
    seite: int = 1

    @classmethod
    def from_params(cls, params: t.Mapping[str, t.Any]) -> "MeasureFilter":
        """Read the URL parameters; unknown values are dropped (a bad link still shows a list)."""

        def text(name: str, limit: int = 100) -> str:
            value = params.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value or "").strip()[:limit]

        status = text("status")
        principle = text("grundsatz")
        principle_state = text("grundsatz_stand")
        sort = text("sortierung") or "name"
        try:
            page = max(1, min(10_000, int(text("seite") or 1)))
        except ValueError:
            page = 1
        return cls(
            programm=text("programm"),
            ziel=text("ziel"),
            amt=text("amt"),
            status=status if status in MeasureStatus.__members__.values() else "",
            verzoegert=text("verzoegert") in ("1", "ja", "true", "on"),
            grundsatz=principle if principle in Principle.__members__.values() else "",
            grundsatz_stand=principle_state if principle_state in PrincipleState.__members__.values() else "",
            suche=text("suche", 200),
            sortierung=sort if sort in SORTS else "name",
            weiter=text("weiter", 1000),
            seite=page,
        )

    def params(self, **changes: t.Any) -> dict[str, str]:
        """The URL parameters of this state with ``changes`` applied (empty values left out)."""
        values = dataclasses.asdict(self) | changes
        if "weiter" not in changes and "seite" not in changes:
            values["weiter"], values["seite"] = "", 1  # a new filter or sort starts on page 1
        result = {}
        for name, value in values.items():
            if name == "sortierung" and value == "name":
                continue
            if name == "seite" and value == 1:
                continue
            if value in ("", None, False):
                continue
            result[name] = "1" if value is True else str(value)
        return result

    @property
    def active(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.programm or self.ziel or self.amt or self.status or self.verzoegert or self.grundsatz or self.suche
        )

    def principle_value(self) -> str:
        if self.grundsatz:
            return f"{self.grundsatz}:{self.grundsatz_stand or PrincipleState.FULFILLED.value}"
        return ""


def _filtered_query(state: MeasureFilter) -> db.Query:
    query = db.Query("measure").filter("publication =", PUBLISHED)
    for name, prop in FILTER_PROPERTIES.items():
        if value := getattr(state, name):
            query.filter(f"{prop} =", value)
    if state.verzoegert:
        query.filter("is_delayed =", True)
    if principle := state.principle_value():
        query.filter("principle_index =", principle)
    return query


def _matches(entity: t.Any, state: MeasureFilter) -> bool:
    """The list filters, applied in memory (to the results of a full-text search)."""
    summary = measure_summary(entity)
    if state.programm and (summary["programme"] or {}).get("short_code") != state.programm:
        return False
    if state.amt and (summary["lead_department"] or {}).get("short_code") != state.amt:
        return False
    if state.ziel and state.ziel not in (entity.get("goal_index") or []):
        return False
    if state.status and summary["status"] != state.status:
        return False
    if state.verzoegert and not summary["is_delayed"]:
        return False
    principle = state.principle_value()
    return not principle or principle in (entity.get("principle_index") or [])


def search_words(text: str) -> list[str]:
    """The words of a search, split as the measures' ``search_index`` is (at most three, longest first)."""
    return sorted(rollup.search_words(text), key=len, reverse=True)[:3]


def measure_list(state: MeasureFilter) -> dict:
    """One page of the measure list (at most two round trips: the page, and the count when filtered)."""
    prop, direction = SORTS[state.sortierung]
    if state.suche:
        words = search_words(state.suche)
        found: dict | None = None
        for word in words:
            query = db.Query("measure").filter("publication =", PUBLISHED)
            query.filter("search_index >=", word).filter("search_index <", word + "\ufffd")
            hits = {entity.key: entity for entity in query.run(limit=SEARCH_LIMIT)}
            found = hits if found is None else {key: found[key] for key in found if key in hits}
        entities = [entity for entity in (found or {}).values() if _matches(entity, state)]
        reverse = direction == db.SortOrder.Descending
        entities.sort(key=lambda entity: (entity.get(prop) is None, entity.get(prop) or 0), reverse=reverse)
        if prop == "name":
            entities.sort(key=lambda entity: (_s(entity.get("name"))).casefold())
        start = (state.seite - 1) * PAGE_SIZE
        page = entities[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(entities)
        return {
            "measures": [measure_summary(entity) for entity in page],
            "total": len(entities),
            "next": state.params(seite=state.seite + 1, weiter="") if more else None,
        }

    query = _filtered_query(state).order((prop, direction))
    if state.weiter:
        try:
            query.setCursor(state.weiter)
        except Exception:  # a cursor from an old or edited link: start over
            query = _filtered_query(state).order((prop, direction))
    entities = query.run(limit=PAGE_SIZE)
    cursor = query.getCursor() if len(entities) == PAGE_SIZE else None
    if state.active:
        total = _filtered_query(state).count(up_to=100_000)
    else:
        total = int((rollup.stats().get("public") or {}).get("n", 0))
    if isinstance(cursor, bytes):
        cursor = cursor.decode()
    return {
        "measures": [measure_summary(entity) for entity in entities],
        "total": total,
        "next": state.params(weiter=cursor, seite=state.seite + 1) if cursor else None,
    }


def measures_where(prop: str, value: t.Any, limit: int = 50) -> list[dict]:
    """Published measures with ``prop = value`` by name (goal, programme and department pages)."""
    query = db.Query("measure").filter("publication =", PUBLISHED).filter(f"{prop} =", value)
    query.order(("name", db.SortOrder.Ascending))
    return [measure_summary(entity) for entity in query.run(limit=limit)]


# ------------------------------------------------------------------------------
# Start page and timeline
#


def home(today: datetime.date) -> dict:
    """Headline figures (from the roll-up's sums), recently updated measures, milestones due next."""
    sums = rollup.stats().get("public") or rollup.empty_sums()
    recent = (
        db.Query("measure")
        .filter("publication =", PUBLISHED)
        .order(("changedate", db.SortOrder.Descending))
        .run(limit=6)
    )
    start_of_today = datetime.datetime.combine(today, datetime.time(), tzinfo=rollup.LOCAL_TZ)
    upcoming = (
        db.Query("milestone")
        .filter("is_public =", True)
        .filter("state =", MilestoneState.OPEN.value)
        .filter("planned_date >=", start_of_today)
        .order(("planned_date", db.SortOrder.Ascending))
        .run(limit=6)
    )
    return {
        "count": int(sums.get("n", 0)),
        "progress": rollup.progress_of({"public": sums}, "public"),
        "delayed": int(sums.get("delayed", 0)),
        "overdue_milestones": int(sums.get("overdue", 0)),
        "by_status": [(status.value, int((sums.get("status") or {}).get(status.value, 0))) for status in MeasureStatus],
        "recent": [measure_summary(entity) for entity in recent],
        "upcoming": [milestone_view(entity, today) for entity in upcoming],
    }


def timeline(programme: str, cursor: str) -> dict:
    """One page of published measures by planned start, for the Gantt-like timeline."""

    def build() -> db.Query:
        query = db.Query("measure").filter("publication =", PUBLISHED)
        if programme:
            query.filter("programme.dest.short_code =", programme)
        return query.order(("planned_start", db.SortOrder.Ascending))

    query = build()
    if cursor:
        try:
            query.setCursor(cursor)
        except Exception:
            query = build()
    entities = query.run(limit=TIMELINE_PAGE_SIZE)
    next_cursor = query.getCursor() if len(entities) == TIMELINE_PAGE_SIZE else None
    return {
        "measures": [measure_summary(entity) for entity in entities],
        "next": next_cursor.decode() if isinstance(next_cursor, bytes) else next_cursor,
    }


def sitemap_keys(limit: int = 45_000) -> list[tuple[str, t.Any]]:
    """URL-safe keys and change dates of all published measures (for sitemap.xml)."""
    query = db.Query("measure").filter("publication =", PUBLISHED)
    return [(key_of(entity), entity.get("changedate")) for entity in itertools.islice(query.iter(), limit)]
