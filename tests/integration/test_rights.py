"""
The roles and rights of the roadmap, enforced on the server for every render (issue 3).

One fixture roadmap (``tests/support/roadmap.py``) and one login per role serve the whole file: each case
runs one request and then checks what is stored, so a refused write must leave the database unchanged.
Refused writes aim at the shared entities; allowed deletes and publications at throwaways of their own.
"""

import typing as t

import pytest

from tests.support import roadmap as rm
from tests.support.client import AppClient
from tests.support.roadmap import World

ROLES = rm.ROLES
RENDERS = ("json", "vi")

EXPECTED_TABLE = """
module      action      root  ciio  editor_a  editor_b  committee  anonymous
department  list        all   all   all       all       all        all
department  view        ok    ok    ok        ok        ok         ok
department  add         ok    ok    no        no        no         no
department  edit        ok    ok    no        no        no         no
department  delete      ok    ok    no        no        no         no
programme   list        all   all   all       all       all        public
programme   view        ok    ok    ok        ok        ok         ok
programme   view_draft  ok    ok    ok        ok        ok         hidden
programme   add         ok    ok    no        no        no         no
programme   edit        ok    ok    no        no        no         no
programme   delete      ok    ok    no        no        no         no
programme   publish     ok    ok    no        no        no         no
goal        list        all   all   all       all       all        public
goal        view        ok    ok    ok        ok        ok         ok
goal        view_draft  ok    ok    ok        ok        ok         hidden
goal        add         ok    ok    no        no        no         no
goal        edit        ok    ok    no        no        no         no
goal        delete      ok    ok    no        no        no         no
goal        publish     ok    ok    no        no        no         no
measure     list        all   all   all       all       all        public
measure     view        ok    ok    ok        ok        ok         ok
measure     view_draft  ok    ok    ok        ok        ok         hidden
measure     add         ok    ok    ok        no        no         no
measure     edit        ok    ok    pending   no        no         no
measure     delete      ok    ok    no        no        no         no
measure     review      ok    ok    ok        no        no         no
measure     publish     ok    ok    no        no        no         no
milestone   list        all   all   all       all       all        public
milestone   view        ok    ok    ok        ok        ok         ok
milestone   view_draft  ok    ok    ok        ok        ok         hidden
milestone   add         ok    ok    pending   no        no         no
milestone   edit        ok    ok    pending   no        no         no
milestone   delete      ok    ok    no        no        no         no
kpi         list        all   all   all       all       all        public
kpi         view        ok    ok    ok        ok        ok         ok
kpi         view_draft  ok    ok    ok        ok        ok         hidden
kpi         add         ok    ok    pending   no        no         no
kpi         edit        ok    ok    pending   no        no         no
kpi         delete      ok    ok    no        no        no         no
reading     list        all   all   all       all       all        public
reading     view        ok    ok    ok        ok        ok         ok
reading     view_draft  ok    ok    ok        ok        ok         hidden
reading     add         ok    ok    ok        no        no         no
reading     edit        ok    ok    ok        no        no         no
reading     delete      ok    ok    no        no        no         no
change      list        all   all   all       all       all        public
change      view        ok    ok    ok        ok        ok         ok
change      view_draft  ok    ok    ok        ok        ok         hidden
change      add         no    no    no        no        no         no
change      edit        no    no    no        no        no         no
change      delete      no    no    no        no        no         no
"""
"""
What each role may do with each module, as the json render answers. The vi render answers the same for
every logged-in role and refuses anonymous visitors everything (401), since /vi is the admin's API.

- ``all``: the list holds published entries and drafts; ``public``: published entries only.
- ``ok``: done (view: 200; add/edit/delete/publish/review: stored); ``no``: 401/403 and nothing stored;
  ``hidden``: a draft opened by key is 403/404 and none of its data is in the answer.
- The target of add/edit/delete/publish/review belongs to department A (editor_a's, not editor_b's):
  ``editor_b`` rows are "an editor changing another department's data". ``view``/``list`` also check that
  anonymous visitors never get internal bones and that every other role does.
- ``publish`` sets ``publication=published`` on a draft; ``review`` sets ``publication=review``.
- ``pending``: answered 200 with the form and ``pending_revision``; nothing is written, a revision waits for the
  CIIO office (the targets are published, or belong to a published measure; see ``test_review.py``).
"""


def parse(table: str) -> dict[tuple[str, str, str], str]:
    lines = [line.split() for line in table.strip().splitlines()]
    header = lines[0][2:]
    assert tuple(header) == ROLES
    return {
        (module, action, role): cell
        for module, action, *cells in lines[1:]
        for role, cell in zip(header, cells, strict=True)
    }


EXPECTED = parse(EXPECTED_TABLE)

INTERNAL_BONES = {
    "measure": ("responsible", "responsible_email", "progress_override"),
    "programme": ("rollup",),
    "goal": ("rollup",),
    "kpi": ("series",),
    "change": ("user_name", "user_key", "internal_changes", "publishable"),
}
"""Bones that only staff may read (``internal_bones`` of the modules)."""

REFUSED = (401, 403)
HIDDEN = (403, 404)


def add_payload(module: str, w: World) -> dict[str, str]:
    """Valid values for a new entity of ``module`` in department A."""
    r = w.roadmap
    return {
        "department": {"name": rm.unique("Amt"), "short_code": rm.unique("X"), "level": "fachbereich"},
        "programme": {"name": rm.unique("Programm"), "short_code": rm.unique("p"), "publication": "draft"},
        "goal": {"name": rm.unique("Ziel"), "code": "7", "weight": "1", "publication": "draft"},
        "measure": rm.measure_payload(w),
        "milestone": {
            "measure": rm.urlsafe(r.a.measure),
            "name": rm.unique("Zwischenziel"),
            "planned_date": "2031-01-01",
            "state": "open",
            "weight": "1",
        },
        "kpi": {
            "measure": rm.urlsafe(r.a.measure),
            "name": rm.unique("Kontrollgröße"),
            "direction": "higher",
            "baseline_value": "1",
            "baseline_date": "2024-01-01",
            "target_value": "5",
            "target_date": "2030-01-01",
        },
        "reading": {"kpi": rm.urlsafe(r.a.kpi), "date": "2025-02-01", "value": "3"},
        "change": {"entity_name": "Erfunden", "reason": "Erfunden"},
    }[module]


def throwaway(module: str, w: World, publication: str = "draft"):
    """A fresh entity of ``module`` in department A that a case may delete or publish (for allowed cases)."""
    r = w.roadmap
    match module:
        case "department":
            return rm.add("department", name=rm.unique("Amt"), short_code=rm.unique("X"))
        case "programme":
            return rm.add("programme", name=rm.unique("Programm"), short_code=rm.unique("p"), publication=publication)
        case "goal":
            return rm.add("goal", name=rm.unique("Ziel"), code="8", publication=publication)
        case "measure":
            return rm.add_measure(r.dept_a, r.programme, r.subgoal, publication)
        case "milestone":
            return rm.add_milestone(r.a.measure)
        case "kpi":
            return rm.add_kpi(r.a.measure)
        case "reading":
            return rm.add_reading(r.a.kpi)
    raise AssertionError(module)


def assert_refused(status: int, body: t.Any, statuses=REFUSED) -> None:
    assert status in statuses, (status, str(body)[:300])


def assert_internal_bones(module: str, role: str, values: dict) -> None:
    for bone in INTERNAL_BONES.get(module, ()):
        if role == "anonymous":
            assert bone not in values, f"anonymous visitors got the internal bone {module}.{bone}"
        else:
            assert bone in values, f"{role} misses the internal bone {module}.{bone}"


def list_path(render: str, module: str, w: World, draft: bool) -> str:
    if module == "change":
        # The history grows with every write of this file: ask for the entries about one measure.
        measure = w.roadmap.draft.measure if draft else w.roadmap.a.measure
        return f"/{render}/change/list?entity_key={rm.urlsafe(measure)}"
    return f"/{render}/{module}/list"


def do_list(w: World, session: AppClient, render: str, module: str, role: str, expected: str) -> None:
    keys = set()
    for draft in (False, True):
        response = session.get(list_path(render, module, w, draft))
        if expected == "no":
            assert_refused(response.status_code, response.text)
            return
        assert response.status_code == 200, response.text[:300]
        skellist = response.json["skellist"]
        keys |= {skel["key"] for skel in skellist}
        for skel in skellist:
            assert_internal_bones(module, role, skel)
    assert rm.urlsafe(w.published(module)) in keys
    if module == "department":
        assert rm.urlsafe(w.roadmap.dept_b) in keys
    elif expected == "all":
        assert rm.urlsafe(w.draft(module)) in keys
    else:
        assert expected == "public"
        assert rm.urlsafe(w.draft(module)) not in keys, "a draft is listed for anonymous visitors"


def do_view(w: World, session: AppClient, render: str, module: str, role: str, expected: str, key) -> None:
    response = session.get(f"/{render}/{module}/view/{rm.urlsafe(key)}")
    if expected == "ok":
        assert response.status_code == 200, response.text[:300]
        values = response.json["values"]
        assert values["key"] == rm.urlsafe(key)
        assert_internal_bones(module, role, values)
    elif expected == "hidden":
        assert_refused(response.status_code, response.text, HIDDEN)
        stored = rm.stored(key)
        assert stored.get("name") or stored.get("entity_name") or module == "reading"
        for value in (stored.get("name"), stored.get("entity_name"), rm.urlsafe(key)):
            if value:
                assert str(value) not in response.text, "the answer shows data of a draft"
    else:
        assert_refused(response.status_code, response.text)


def do_add(w: World, session: AppClient, render: str, module: str, expected: str) -> None:
    before = rm.count(module)
    status, body = session.post_json(f"/{render}/{module}/add", add_payload(module, w))
    if expected == "ok":
        assert status == 200 and body["action"] == "addSuccess", (status, body.get("errors"))
        assert rm.count(module) == before + 1
    elif expected == "pending":
        assert status == 200 and body.get("pending_revision"), (status, body)
        assert rm.count(module) == before, "stored although it waits for review"
    else:
        assert_refused(status, body)
        assert rm.count(module) == before, "stored despite the refusal"


def do_edit(w: World, session: AppClient, render: str, module: str, expected: str) -> None:
    key = w.published(module)
    bone = {"reading": "note", "change": "reason"}.get(module, "name")
    value = rm.unique("Neu")
    before = rm.stored(key)
    status, body = session.post_json(f"/{render}/{module}/edit/{rm.urlsafe(key)}", {bone: value})
    if expected == "ok":
        assert status == 200 and body["action"] == "editSuccess", (status, body.get("errors"))
        assert rm.stored(key)[bone] == value
    elif expected == "pending":
        assert status == 200 and body.get("pending_revision"), (status, body)
        assert rm.stored(key) == before, "changed live although it waits for review"
    else:
        assert_refused(status, body)
        assert rm.stored(key) == before, "changed despite the refusal"


def do_delete(w: World, session: AppClient, render: str, module: str, expected: str) -> None:
    key = throwaway(module, w) if expected == "ok" else w.published(module)
    before = rm.stored(key)
    status, body = session.post_json(f"/{render}/{module}/delete/{rm.urlsafe(key)}", {})
    if expected == "ok":
        assert status == 200, (status, body)
        assert rm.stored(key) is None
    else:
        assert_refused(status, body)
        assert rm.stored(key) == before, "deleted or changed despite the refusal"


def do_publication(w: World, session: AppClient, render: str, module: str, expected: str, target: str) -> None:
    key = throwaway(module, w) if expected == "ok" else w.draft(module)
    before = rm.stored(key)
    status, body = session.post_json(f"/{render}/{module}/edit/{rm.urlsafe(key)}", {"publication": target})
    if expected == "ok":
        assert status == 200 and body["action"] == "editSuccess", (status, body.get("errors"))
        assert rm.stored(key)["publication"] == target
    else:
        assert_refused(status, body)
        assert rm.stored(key) == before, "changed despite the refusal"


CASES = [
    pytest.param(module, action, role, render, id=f"{module}-{action}-{role}-{render}")
    for (module, action, role) in EXPECTED
    for render in RENDERS
]


@pytest.mark.parametrize(("module", "action", "role", "render"), CASES)
def test_permission_matrix(world, module, action, role, render):
    """Each role × module × action × render does what EXPECTED_TABLE says, and a refusal stores nothing."""
    expected = EXPECTED[module, action, role]
    if render == "vi" and role == "anonymous":
        expected = "no"
    session = world.sessions[role]
    match action:
        case "list":
            do_list(world, session, render, module, role, expected)
        case "view":
            do_view(world, session, render, module, role, expected, world.published(module))
        case "view_draft":
            do_view(world, session, render, module, role, expected, world.draft(module))
        case "add":
            do_add(world, session, render, module, expected)
        case "edit":
            do_edit(world, session, render, module, expected)
        case "delete":
            do_delete(world, session, render, module, expected)
        case "publish":
            do_publication(world, session, render, module, expected, "published")
        case "review":
            do_publication(world, session, render, module, expected, "review")
        case _:
            raise AssertionError(action)


# --- The cases issue 3 names explicitly -------------------------------------------------------------


def measure_payload(w: World, department, publication: str = "draft") -> dict[str, str]:
    return rm.measure_payload(w, lead_department=rm.urlsafe(department), publication=publication)


@pytest.mark.parametrize("render", RENDERS)
def test_editor_cannot_move_own_measure_to_another_department(world, render):
    """Editing is checked after the client's values are read: the new lead department must be the editor's too."""
    key = world.published("measure")
    before = rm.stored(key)
    status, body = world.sessions["editor_a"].post_json(
        f"/{render}/measure/edit/{rm.urlsafe(key)}", {"lead_department": rm.urlsafe(world.roadmap.dept_b)}
    )
    assert_refused(status, body)
    assert rm.stored(key) == before


@pytest.mark.parametrize("module", ["milestone", "kpi"])
@pytest.mark.parametrize("render", RENDERS)
def test_editor_cannot_attach_to_or_move_into_another_departments_measure(world, render, module):
    """A milestone or KPI added to (or moved to) department B's measure is refused for A's editor."""
    session, other = world.sessions["editor_a"], rm.urlsafe(world.roadmap.b.measure)
    payload = add_payload(module, world) | {"measure": other}
    before = rm.count(module)
    assert_refused(*session.post_json(f"/{render}/{module}/add", payload))
    assert rm.count(module) == before
    key = world.published(module)
    stored = rm.stored(key)
    assert_refused(*session.post_json(f"/{render}/{module}/edit/{rm.urlsafe(key)}", {"measure": other}))
    assert rm.stored(key) == stored


@pytest.mark.parametrize("render", RENDERS)
def test_editor_cannot_add_readings_to_another_departments_kpi(world, render):
    before = rm.count("reading")
    payload = add_payload("reading", world) | {"kpi": rm.urlsafe(world.roadmap.b.kpi)}
    assert_refused(*world.sessions["editor_a"].post_json(f"/{render}/reading/add", payload))
    assert rm.count("reading") == before


@pytest.mark.parametrize("render", RENDERS)
def test_editor_submits_for_review_but_never_publishes_a_new_measure(world, render):
    """Adding directly as published is publishing too; review is the editor's way."""
    session = world.sessions["editor_a"]
    before = rm.count("measure")
    assert_refused(
        *session.post_json(f"/{render}/measure/add", measure_payload(world, world.roadmap.dept_a, "published"))
    )
    assert rm.count("measure") == before
    status, body = session.post_json(f"/{render}/measure/add", measure_payload(world, world.roadmap.dept_a, "review"))
    assert status == 200 and body["action"] == "addSuccess", body.get("errors")
    assert rm.stored(body["values"]["key"])["publication"] == "review"


@pytest.mark.parametrize("render", RENDERS)
def test_editor_cannot_clone_into_another_department_or_into_published(world, render):
    """Cloning is adding: the clone must be the editor's department and must not be published by an editor."""
    session, source = world.sessions["editor_a"], rm.urlsafe(world.draft("measure"))
    before = rm.count("measure")
    for department, publication in ((world.roadmap.dept_b, "draft"), (world.roadmap.dept_a, "published")):
        payload = measure_payload(world, department, publication)
        assert_refused(*session.post_json(f"/{render}/measure/clone/{source}", payload))
        assert rm.count("measure") == before, (department, publication)
    status, body = session.post_json(f"/{render}/measure/clone/{source}", measure_payload(world, world.roadmap.dept_a))
    assert status == 200 and body["action"] == "cloneSuccess", body.get("errors")
    assert rm.count("measure") == before + 1


def test_committee_reads_drafts_with_internal_bones(world):
    session = world.sessions["committee"]
    values = session.json(f"/json/measure/view/{rm.urlsafe(world.draft('measure'))}")["values"]
    assert values["publication"] == "draft"
    assert values["responsible"] == "Erika Intern"
    assert values["responsible_email"] == "erika.intern@dortmund.example"


def test_anonymous_history_never_shows_internal_values(world):
    """The history of a published measure is public, but not the internal bones' old and new values."""
    key = world.roadmap.b.measure
    rm.update(key, responsible="Geheim Person", responsible_email="geheim@dortmund.example", name="Umbenannt B")
    anonymous = world.sessions["anonymous"].get(f"/json/change/list?entity_key={rm.urlsafe(key)}")
    assert anonymous.status_code == 200
    entries = anonymous.json["skellist"]
    assert entries, "the history of a published measure is public"
    assert "Umbenannt B" in anonymous.text
    for text in ("Erika Intern", "erika.intern@", "Geheim Person", "geheim@dortmund"):
        assert text not in anonymous.text, text
    staff = world.sessions["committee"].get(f"/json/change/list?entity_key={rm.urlsafe(key)}")
    assert "Geheim Person" in staff.text and "Umbenannt B" in staff.text


@pytest.mark.parametrize("render", ["json", "vi"])
@pytest.mark.parametrize("publication", ["draft", "review"])
def test_editors_never_unpublish(world, render, publication):
    """An editor of the lead department cannot take a published measure back; the CIIO office can."""
    key = world.published("measure")
    before = rm.stored(key)
    status, _ = world.sessions["editor_a"].post_json(
        f"/{render}/measure/edit/{rm.urlsafe(key)}", {"publication": publication}
    )
    assert status == 403, status
    assert rm.stored(key) == before
