"""
What the public portal shows, as plain dicts (published entities only).

No page scans or queries the measures: lists, filters, search, sorting, the timeline and the goal, programme
and department pages read this instance's in-memory catalogue of published measures
(:mod:`fahrplan.services.catalogue`, synced from its change log at most every 15 s); figures come from the sums the
roll-up keeps on write (:mod:`fahrplan.services.rollup`); a measure page fetches the measure, its recent
public history (kept with it) and its milestones and KPIs by key, and queries nothing (its whole history,
paged, is on a page of its own); the small reference data (programmes, goals, departments) is read once per
:data:`REFERENCE_TTL` seconds per instance. While the datastore is down, the reference data and the catalogue
an instance holds are served as they are (nothing can be published meanwhile).

The rule "anonymous visitors see published entities only" is applied here for every page, filter, count and
chart: the catalogue holds published measures only; milestones, KPIs and history entries need ``is_public``
(kept equal to their measure's publication by the roll-up and the history); goals and programmes need
``publication = published``, also where a measure references them; departments are always public (they are the
analogue contact channel).
"""

import dataclasses
import datetime
import functools
import html
import logging
import threading
import time
import typing as t

import google.api_core.exceptions
from viur.core import db

from ..types import DatastoreUnavailable, MeasureStatus, MilestoneState, Principle, PrincipleState, PublicationState
from . import catalogue, history, kpis, pagecache, rollup

PUBLISHED = PublicationState.PUBLISHED.value

PAGE_SIZE = 20
"""Measures per page of the measure list."""

TIMELINE_PAGE_SIZE = 100
"""Measures per page of the timeline."""

HISTORY_PAGE_SIZE = 50
"""Public history entries per page of a measure's history page (newest first)."""

REFERENCE_TTL = 60.0
"""Seconds the reference data (programmes, goals, departments) is kept per instance."""

SORTS: dict[str, tuple[str, bool]] = {
    "name": ("name", False),
    "fortschritt": ("progress", True),
    "ende": ("planned_end", False),
    "aktualisiert": ("changedate", True),
}
"""The measure list's sort orders: URL value → (property, descending)."""


def key_of(entity: t.Any) -> str:
    """The URL-safe key of an entity (as the JSON API shows it) or of a catalogue entry (which keeps it so)."""
    key = entity.key
    return key if isinstance(key, str) else key.to_legacy_urlsafe().decode()


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
    """A stored JSON value; None for text that is not JSON (a page never fails over one damaged field)."""
    return rollup.stored_json(value, invalid=None)


def _dest(value: t.Any) -> dict | None:
    """A relational value's referenced entity (or a catalogue entry's reference) as a dict with its URL-safe ``key``."""
    if not value or not isinstance(value, dict):
        return None
    if isinstance(value.get("key"), str):  # a catalogue entry's slim reference
        return {name: item if name == "key" else _s(item) for name, item in value.items()}
    if not value.get("dest"):
        return None
    dest = value["dest"]
    result = {name: _s(value) if isinstance(value, str) else value for name, value in dest.items()}
    key = rollup.dest_key(value)
    result["key"] = key.to_legacy_urlsafe().decode() if key is not None else None
    return result


def _dests(value: t.Any) -> list[dict]:
    values = value if isinstance(value, list) else [value] if value else []
    return [dest for dest in (_dest(item) for item in values) if dest]


def _published_dests(value: t.Any) -> list[dict]:
    """The referenced goals or programmes that are published (a draft's name never reaches a page)."""
    public = reference().public_keys
    return [dest for dest in _dests(value) if dest["key"] in public]


def _published_dest(value: t.Any) -> dict | None:
    found = _published_dests(value)
    return found[0] if found else None


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

    @functools.cached_property
    def public_keys(self) -> frozenset[str]:
        """URL-safe keys of the published programmes and goals."""
        return frozenset(item["key"] for item in (*self.programmes, *self.goals))

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
        try:
            _reference = _load_reference()
        except DatastoreUnavailable as exc:
            if _reference is None:
                raise
            age = time.monotonic() - _reference.loaded
            logging.warning(f"reference data not reloaded, serving it as of {age:.0f} s ago: {exc}")
        return _reference


def _load_reference() -> Reference:
    """Read programmes, goals and departments (three queries)."""
    programmes = [
        _programme(entity) for entity in db.Query("programme").filter("publication =", PUBLISHED).run(limit=500)
    ]
    programmes.sort(key=lambda item: (item["sortindex"], item["name"]))
    goals = [_goal(entity) for entity in db.Query("goal").filter("publication =", PUBLISHED).run(limit=2000)]
    goals.sort(key=lambda item: _code_order(item["code"]))
    departments = [_department(entity) for entity in db.Query("department").run(limit=2000)]
    departments.sort(key=lambda item: item["name"].casefold())
    return Reference(programmes, goals, departments, loaded=time.monotonic())


def forget_reference() -> None:
    """Drop the cached reference data (after a write in this instance, and in tests)."""
    global _reference
    with _reference_lock:
        _reference = None


def reset() -> None:
    """Forget everything this instance keeps (pages, reference data, catalogue): for a fresh database in tests."""
    pagecache.pages.clear()
    forget_reference()
    catalogue.forget()


def invalidate() -> None:
    """After a write in this instance: forget rendered pages and reference data (other instances follow by TTL)."""
    pagecache.pages.clear()
    forget_reference()
    catalogue.mark_stale()


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
        "programme": _published_dest(entity.get("programme")),
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
        goals=_published_dests(entity.get("goals")),
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
    """A KPI for its page; the rating is computed for today (it ages past the target date without a write)."""
    assessment = kpis.assessment(entity)
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
        "rating": assessment.rating.value,
        "rating_text": _s(assessment.explanation),
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
    """
    The measure page by key lookups only (two round trips, flat in the size of the database): the measure with
    its recent public history (kept with it by :mod:`fahrplan.services.history`), then its milestones and KPIs.
    """
    if key is None:
        return None
    looked_up = rollup.by_key(db.get([key, history.recent_key(key)]))
    entity = looked_up.get(key)
    if entity is None or entity.get("publication") != PUBLISHED:
        return None
    if entity.get("synced_at") is not None:
        found = db.get(child_keys(entity))
    else:  # stored before measures kept their children's keys (until `recompute` runs): look them up
        found = [*rollup.milestones_of(entity.key), *rollup.referencing("kpi", "measure", entity.key).run(limit=100)]
    children = [child for child in found if child.get("is_public")]
    milestones = [milestone_view(item, today) for item in children if item.key.kind == "milestone"]
    milestones.sort(key=lambda item: (item["planned_date"] or datetime.date.max, item["name"]))
    kpis = [kpi_view(item) for item in children if item.key.kind == "kpi"]
    kpis.sort(key=lambda item: item["name"])
    recent = [recent_view(item) for item in history.recent(looked_up.get(history.recent_key(key)))]
    return {"measure": measure_detail(entity), "milestones": milestones, "kpis": kpis, "history": recent}


def recent_view(item: t.Mapping[str, t.Any]) -> dict:
    """An entry of a measure's recent public history as the page shows it (like :func:`change_view`)."""
    return {
        "date": item.get("date"),
        "action": item.get("action") or "",
        "entity_kind": item.get("entity_kind") or "",
        "entity_name": _s(item.get("entity_name")),
        "reason": _s(item.get("reason")),
        "changes": [change for change in item.get("changes") or [] if isinstance(change, dict)],
    }


def measure_history(key: db.Key | None, cursor: str | None = None) -> dict | None:
    """
    One page of a measure's whole public history, newest first (one query, paged by cursor): ``history``, and
    ``next``, the cursor of the following page (None on the last). A ``cursor`` the datastore rejects raises
    ``ValueError``.
    """
    entity = published_measure(key)
    if entity is None:
        return None
    query = (
        db.Query("change")
        .filter("measure_key =", key_of(entity))
        .filter("is_public =", True)
        .order(("creationdate", db.SortOrder.Descending))
    )
    if cursor:
        query.setCursor(cursor)
    try:
        entries = query.run(limit=HISTORY_PAGE_SIZE)
    except google.api_core.exceptions.BadRequest as exc:  # a cursor of the right shape, but not of this query
        if not cursor:
            raise
        raise ValueError(f"invalid cursor: {exc}") from exc
    more = query.getCursor() if len(entries) == HISTORY_PAGE_SIZE else None
    return {"measure": measure_summary(entity), "history": [change_view(item) for item in entries], "next": more}


def child_keys(entity: t.Any) -> list:
    """The keys of a measure's milestones and KPIs, as the roll-up keeps them on the measure."""
    keys = []
    for value in entity.get("child_keys") or []:
        key = parse_key(value, "milestone") or parse_key(value, "kpi")
        if key is not None:
            keys.append(key)
    return keys


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
            seite=page,
        )

    def params(self, **changes: t.Any) -> dict[str, str]:
        """The URL parameters of this state with ``changes`` applied (empty values left out)."""
        values = dataclasses.asdict(self) | changes
        if "seite" not in changes:
            values["seite"] = 1  # a new filter or sort starts on page 1
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


def _matches(entity: t.Mapping[str, t.Any], state: MeasureFilter, words: t.Sequence[str] = ()) -> bool:
    """Whether a catalogue entry passes the list's filters and contains every search word (as a word prefix)."""
    if state.programm and (entity.get("programme") or {}).get("short_code") != state.programm:
        return False
    if state.amt and (entity.get("lead_department") or {}).get("short_code") != state.amt:
        return False
    if state.ziel and state.ziel not in (entity.get("goal_index") or []):
        return False
    if state.status and entity.get("status") != state.status:
        return False
    if state.verzoegert and not entity.get("is_delayed"):
        return False
    if (principle := state.principle_value()) and principle not in (entity.get("principle_index") or []):
        return False
    tags = entity.get("search_index") or []
    return all(any(tag.startswith(word) for tag in tags) for word in words)


def search_words(text: str) -> list[str]:
    """The words of a search, split as the measures' ``search_index`` is."""
    return rollup.search_words(text)[:10]


def _sorted(entities: t.Iterable[t.Mapping[str, t.Any]], prop: str, descending: bool = False) -> list:
    """Entries by ``prop`` (entries without a value last, then by title)."""
    entries = sorted(entities, key=lambda entity: (entity.get("name") or "").casefold())
    present = [entity for entity in entries if entity.get(prop) not in (None, "")]
    missing = [entity for entity in entries if entity.get(prop) in (None, "")]

    def value(entity: t.Mapping[str, t.Any]) -> t.Any:
        found = entity.get(prop)
        return found.casefold() if isinstance(found, str) else found

    return sorted(present, key=value, reverse=descending) + missing


def _page(entries: list, page: int, size: int) -> tuple[list, bool]:
    start = (page - 1) * size
    return entries[start : start + size], start + size < len(entries)


def measure_list(state: MeasureFilter) -> dict:
    """One page of the measure list, filtered, searched and sorted in this instance's catalogue."""
    words = search_words(state.suche)
    found = [entity for entity in catalogue.catalogue().measures() if _matches(entity, state, words)]
    prop, descending = SORTS[state.sortierung]
    page, more = _page(_sorted(found, prop, descending), state.seite, PAGE_SIZE)
    return {
        "measures": [measure_summary(entity) for entity in page],
        "total": len(found),
        "next": state.params(seite=state.seite + 1) if more else None,
    }


MEASURES_OF = {
    "goal": lambda entity, value: value in (entity.get("goal_index") or []),
    "programme": lambda entity, value: (entity.get("programme") or {}).get("short_code") == value,
    "department": lambda entity, value: (entity.get("lead_department") or {}).get("short_code") == value,
}
"""How the goal, programme and department pages pick their measures from the catalogue."""


def measures_of(kind: str, value: t.Any, limit: int = 50) -> list[dict]:
    """Published measures of a goal (by key), programme or department (by short code), by title."""
    test = MEASURES_OF[kind]
    found = [entity for entity in catalogue.catalogue().measures() if test(entity, value)]
    return [measure_summary(entity) for entity in _sorted(found, "name")[:limit]]


# ------------------------------------------------------------------------------
# Start page and timeline
#


def home(today: datetime.date) -> dict:
    """Headline figures (from the roll-up's sums), recently updated measures, milestones due next."""
    sums = rollup.stats().get("public") or rollup.empty_sums()
    measures = catalogue.catalogue().measures()
    upcoming = [
        entity
        for entity in measures
        if (due := rollup.local_date(entity.get("next_milestone_date"))) is not None and due >= today
    ]
    upcoming.sort(key=lambda entity: (rollup.local_date(entity.get("next_milestone_date")), entity.get("name") or ""))
    return {
        "count": int(sums.get("n", 0)),
        "progress": rollup.progress_of({"public": sums}, "public"),
        "delayed": int(sums.get("delayed", 0)),
        "overdue_milestones": int(sums.get("overdue", 0)),
        "by_status": [(status.value, int((sums.get("status") or {}).get(status.value, 0))) for status in MeasureStatus],
        "recent": [measure_summary(entity) for entity in _sorted(measures, "changedate", descending=True)[:6]],
        "upcoming": [
            {
                "name": _s(entity.get("next_milestone_name")),
                "planned_date": rollup.local_date(entity.get("next_milestone_date")),
                "measure": {"key": key_of(entity), "name": _s(entity.get("name"))},
            }
            for entity in upcoming[:6]
        ],
    }


def timeline(programme: str, page: int) -> dict:
    """One page of published measures by planned start, for the Gantt-like timeline."""
    state = MeasureFilter(programm=programme)
    found = [entity for entity in catalogue.catalogue().measures() if _matches(entity, state)]
    entries, more = _page(_sorted(found, "planned_start"), page, TIMELINE_PAGE_SIZE)
    return {"measures": [measure_summary(entity) for entity in entries], "next": page + 1 if more else None}


def sitemap_keys() -> list[tuple[str, t.Any]]:
    """URL-safe keys and change dates of all published measures (for sitemap.xml)."""
    return [(key_of(entity), entity.get("changedate")) for entity in catalogue.catalogue().measures()]
