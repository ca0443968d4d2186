"""The illustrative demo roadmap: complete, idempotent, consistent, and never leaking drafts to the public."""

import json

import pytest

from tests.support.client import AppClient

KINDS = ["department", "programme", "goal", "measure", "milestone", "kpi", "kpi_reading", "change"]


@pytest.fixture(scope="module")
def demo(stack):
    """One load of the demo for the whole module (loading takes a while); the tests only read."""
    from fahrplan.services import demo as demo_service

    stack.firestore.reset()
    written = demo_service.load()
    return {"stack": stack, "written": written}


def counts() -> dict[str, int]:
    from viur.core import db

    return {kind: len(list(db.Query(kind).iter(keys_only=True))) for kind in KINDS}


def test_demo_loads_a_complete_roadmap(demo):
    """`make run` shows this: ~15 departments, 4 programmes, a goal tree, ~60 measures with milestones and KPIs."""
    found = counts()
    assert demo["written"] > 800
    assert found["department"] == 15
    assert found["programme"] == 4
    assert found["goal"] == 35
    assert found["measure"] >= 60
    assert found["milestone"] >= 3 * 50
    assert found["kpi"] >= 25
    assert found["kpi_reading"] >= 400


def test_loading_again_writes_nothing(demo):
    """Seeding runs on every `make run`: the second load must neither write nor duplicate anything."""
    from fahrplan.services import demo as demo_service

    before = counts()
    assert demo_service.load() == 0
    assert counts() == before


def test_the_named_measures_of_the_memorandum_exist(demo):
    """The measures the council and the press talk about are in the demo, marked as illustrative."""
    from viur.core import db

    names = {entity["name"]: entity for entity in db.Query("measure").iter()}
    for wanted in (
        "Einführung der E-Akte in der Gesamtverwaltung",
        "Bürgerportal: Anbindung an die Fachverfahren",
        "WLAN an Schulen",
        "Open-Data-Portal",
        "Erinnerung an ablaufende Ausweisdokumente",
    ):
        assert wanted in names, wanted
        assert "illustrativ" in names[wanted]["description"].lower()
    assert {entity["publication"] for entity in names.values()} == {"draft", "review", "published"}
    assert len({entity["status"] for entity in names.values()}) == 6
    department = db.Query("department").getEntry()
    assert department["email"].endswith("@dortmund.example")


def test_milestones_drive_progress_and_delays_with_reasons(demo):
    """Overdue milestones make measures delayed, with a reason in words; derived fields are written."""
    from viur.core import db

    measures = list(db.Query("measure").iter())
    delayed = [entity for entity in measures if entity["is_delayed"]]
    assert delayed and all(entity["delay_reason"] for entity in delayed)
    assert any(entity["progress_source"] == "milestones" for entity in measures)
    assert any(entity["overdue_count"] for entity in measures)
    kpis = list(db.Query("kpi").iter())
    assert all(kpi["reading_count"] and kpi["rating"] != "no_data" for kpi in kpis)


def test_the_demo_roll_up_is_consistent(demo):
    """Recomputing every roll-up from scratch changes nothing: the load maintained the sums on write."""
    from fahrplan.services import rollup

    before = rollup_state()
    rollup.recompute_all()
    assert rollup_state() == before


def test_anonymous_visitors_never_see_demo_drafts(demo):
    """The public JSON list shows published demo measures only, never drafts or entries in review."""
    from viur.core import db

    hidden = {entity["name"] for entity in db.Query("measure").iter() if entity["publication"] != "published"}
    assert hidden
    client = AppClient(demo["stack"].app)
    seen, cursor = [], None
    while True:
        page = client.json("/json/measure/list", **({"cursor": cursor} if cursor else {}))
        seen += page["skellist"]
        cursor = page.get("cursor")
        if not page["skellist"] or not cursor:
            break
    assert seen
    assert not hidden & {skel["name"] for skel in seen}
    assert {skel["publication"] for skel in seen} == {"published"}


def rollup_state() -> dict:
    """Every stored roll-up sum and derived measure field, for before/after comparisons."""
    from viur.core import db

    state = {}
    for kind in ("goal", "programme", "fahrplan_stats"):
        for entity in db.Query(kind).iter():
            state[entity.key] = (json.loads(entity.get("rollup") or "null"), entity.get("progress"))
    for entity in db.Query("measure").iter():
        state[entity.key] = {
            name: entity.get(name)
            for name in (
                "progress",
                "progress_source",
                "is_delayed",
                "delay_reason",
                "overdue_count",
                "next_milestone_date",
                "principle_index",
                "rollup",
            )
        }
    return state
