"""
A small fixture roadmap for the integration tests, written directly through the skeletons (no HTTP).

Two departments (A and B), published and draft reference data, and three measures — A's published one,
B's published one and a draft of A — each with one milestone, one KPI and one reading. Writes go through
the skeletons' own ``write`` so that roll-ups, visibility and history are derived exactly as in the app.
"""

import datetime
import secrets
import typing as t
from dataclasses import dataclass

PASSWORD = "Test-Passw0rd!" + "x" * 4

PAST = datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)
FUTURE = datetime.datetime(2031, 6, 1, tzinfo=datetime.UTC)

KINDS = {
    "department": "department",
    "programme": "programme",
    "goal": "goal",
    "measure": "measure",
    "milestone": "milestone",
    "kpi": "kpi",
    "reading": "kpi_reading",
    "change": "change",
    "user": "user",
}
"""Module name → datastore kind."""


def urlsafe(key) -> str:
    return key.to_legacy_urlsafe().decode()


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def add(module: str, **values: t.Any):
    """Write one entity of ``module`` through its skeleton; relational bones take keys. Returns its key."""
    from viur.core import skeleton
    from viur.core.bones import RelationalBone

    skel = skeleton.skeletonByKind(KINDS[module])()
    for bone, value in values.items():
        if isinstance(skel.boneMap[bone], RelationalBone):
            for item in value if isinstance(value, list) else [value]:
                assert skel.setBoneValue(bone, item, append=skel.boneMap[bone].multiple), (module, bone)
        else:
            skel[bone] = value
    skel.write()
    return skel["key"]


def update(key, **values: t.Any) -> None:
    """Change stored values through the skeleton (as the system, so history and roll-ups follow)."""
    from viur.core import skeleton

    skel = skeleton.skeletonByKind(key.kind)()
    assert skel.read(key)
    for bone, value in values.items():
        skel[bone] = value
    skel.write()


def stored(key) -> dict | None:
    """The raw stored entity (a plain dict), for before/after comparisons."""
    from viur.core import db

    if isinstance(key, str):
        key = db.Key.from_legacy_urlsafe(key)
    entity = db.get(key)
    return dict(entity) if entity is not None else None


def count(module: str) -> int:
    from viur.core import db

    return len(list(db.Query(KINDS[module]).iter(keys_only=True)))


def add_user(*roles: str, **values: t.Any) -> str:
    """An active user with ``roles`` (relational bones such as ``departments`` take keys); returns the name."""
    from viur.core import skeleton
    from viur.core.modules.user import Status

    skel = skeleton.skeletonByKind("user")()
    name = f"{'-'.join(roles) or 'user'}-{secrets.token_hex(3)}@test.example"
    skel["name"] = name
    skel["status"] = Status.ACTIVE
    skel["roles"] = list(roles)
    skel["password"] = PASSWORD
    for bone, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            skel.setBoneValue(bone, item, append=True)
    skel.write()
    return name


def add_measure(department, programme, goal, publication: str = "published", **values: t.Any):
    return add(
        "measure",
        name=values.pop("name", unique("Maßnahme")),
        lead_department=department,
        programme=programme,
        goals=[goal],
        publication=publication,
        responsible=values.pop("responsible", "Erika Intern"),
        responsible_email=values.pop("responsible_email", "erika.intern@dortmund.example"),
        **values,
    )


def add_milestone(measure, **values: t.Any):
    return add(
        "milestone",
        measure=measure,
        name=values.pop("name", unique("Zwischenziel")),
        planned_date=values.pop("planned_date", FUTURE),
        **values,
    )


def add_kpi(measure, **values: t.Any):
    return add(
        "kpi",
        measure=measure,
        name=values.pop("name", unique("Kontrollgröße")),
        baseline_value=values.pop("baseline_value", 10),
        baseline_date=values.pop("baseline_date", PAST),
        target_value=values.pop("target_value", 90),
        target_date=values.pop("target_date", FUTURE),
        **values,
    )


def add_reading(kpi, **values: t.Any):
    return add(
        "reading",
        kpi=kpi,
        date=values.pop("date", datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)),
        value=values.pop("value", 40),
        **values,
    )


@dataclass
class Branch:
    """A measure with one milestone, one KPI and one reading (keys)."""

    measure: t.Any
    milestone: t.Any
    kpi: t.Any
    reading: t.Any

    def of(self, module: str):
        return getattr(self, module)


def add_branch(department, programme, goal, publication: str = "published") -> Branch:
    measure = add_measure(department, programme, goal, publication)
    milestone = add_milestone(measure)
    kpi = add_kpi(measure)
    reading = add_reading(kpi)
    return Branch(measure, milestone, kpi, reading)


@dataclass
class Roadmap:
    """The fixture roadmap (keys)."""

    dept_a: t.Any
    dept_b: t.Any
    programme: t.Any
    programme_draft: t.Any
    goal: t.Any
    subgoal: t.Any
    goal_draft: t.Any
    a: Branch
    b: Branch
    draft: Branch


def build() -> Roadmap:
    """Create the fixture roadmap in the (empty) database."""
    dept_a = add("department", name="Amt A", short_code="A")
    dept_b = add("department", name="Amt B", short_code="B")
    programme = add("programme", name="Digitale Verwaltung", short_code="dv", publication="published")
    programme_draft = add("programme", name="Programm im Entwurf", short_code="pe", publication="draft")
    goal = add("goal", name="Leitziel 1", code="1", publication="published")
    subgoal = add("goal", name="Teilziel 1.1", code="1.1", parent=goal, publication="published")
    goal_draft = add("goal", name="Ziel im Entwurf", code="9", publication="draft")
    return Roadmap(
        dept_a=dept_a,
        dept_b=dept_b,
        programme=programme,
        programme_draft=programme_draft,
        goal=goal,
        subgoal=subgoal,
        goal_draft=goal_draft,
        a=add_branch(dept_a, programme, subgoal),
        b=add_branch(dept_b, programme, subgoal),
        draft=add_branch(dept_a, programme, subgoal, publication="draft"),
    )


def changes_of(entity_key) -> list[dict]:
    """The stored history entries about ``entity_key``, oldest first."""
    from viur.core import db

    entries = db.Query("change").filter("entity_key =", urlsafe(entity_key)).iter()
    return sorted(entries, key=lambda entry: entry["creationdate"])


def change_of(entity_key, action: str | None = None, public: bool | None = None):
    """The key of the newest history entry about ``entity_key`` (optionally of one action and visibility)."""
    entries = [
        entry
        for entry in changes_of(entity_key)
        if (action is None or entry["action"] == action) and (public is None or entry["is_public"] == public)
    ]
    assert entries, ("no history entry", entity_key, action, public)
    return max(entries, key=lambda entry: entry["creationdate"]).key


def remove(key) -> None:
    """Delete an entity through its skeleton (roll-ups and history follow), if it still exists."""
    from viur.core import db, skeleton

    if isinstance(key, str):
        key = db.Key.from_legacy_urlsafe(key)
    skel = skeleton.skeletonByKind(key.kind)()
    if skel.read(key):
        skel.delete()


def session(app, *roles: str, **values: t.Any):
    """A client logged in as a new user with ``roles`` (``departments=[key, …]`` binds an editor)."""
    from tests.support.client import AppClient

    client = AppClient(app)
    if roles:
        client.login(add_user(*roles, **values), PASSWORD)
    return client


ROLES = ("root", "ciio", "editor_a", "editor_b", "committee", "anonymous")


@dataclass
class World:
    """The fixture roadmap, one logged-in session per role in :data:`ROLES`, and the keys the cases aim at."""

    app: t.Any
    roadmap: Roadmap
    sessions: dict[str, t.Any]
    published_keys: dict[str, t.Any]
    draft_keys: dict[str, t.Any]

    def published(self, module: str):
        """The published entity of ``module`` that department A leads (department: A itself)."""
        return self.published_keys[module]

    def draft(self, module: str):
        """A draft of ``module`` (not public), for the modules that have drafts."""
        return self.draft_keys[module]


def world(app) -> World:
    """Build the fixture roadmap in the (empty) database and log in one user per role."""
    r = build()
    sessions = {
        "root": session(app, "root"),
        "ciio": session(app, "ciio"),
        "editor_a": session(app, "editor", departments=[r.dept_a]),
        "editor_b": session(app, "editor", departments=[r.dept_b]),
        "committee": session(app, "committee"),
        "anonymous": session(app),
    }
    published = {"department": r.dept_a, "programme": r.programme, "goal": r.goal}
    published |= {module: r.a.of(module) for module in ("measure", "milestone", "kpi", "reading")}
    published["change"] = change_of(r.a.measure, "added", public=True)
    drafts = {"programme": r.programme_draft, "goal": r.goal_draft}
    drafts |= {module: r.draft.of(module) for module in ("measure", "milestone", "kpi", "reading")}
    drafts["change"] = change_of(r.draft.measure, "added")
    return World(app, r, sessions, published, drafts)


def measure_payload(w: "World", **values: str) -> dict[str, str]:
    """Form values for a new draft measure of department A (as vi-admin posts them), with ``values`` on top."""
    return measure_payload_for(w.roadmap, **values)


def measure_payload_for(r: Roadmap, **values: str) -> dict[str, str]:
    """:func:`measure_payload` for a roadmap without logged-in sessions."""
    return {
        "name": unique("Maßnahme"),
        "lead_department": urlsafe(r.dept_a),
        "programme": urlsafe(r.programme),
        "goals": urlsafe(r.subgoal),
        "status": "planned",
        "weight": "1",
        "publication": "draft",
        **values,
    }
