"""The scale workload generator: bulk-written entities must be indistinguishable from skeleton-written ones."""

import datetime

import pytest

from tests.integration.test_demo import rollup_state

SHAPE_KINDS = ["department", "programme", "goal", "measure", "milestone", "kpi", "kpi_reading"]


@pytest.fixture
def workload(db):
    from fahrplan.testing import workloads

    return workloads.generate(measures=30, seed=7)


def test_generate_writes_the_requested_shape(workload):
    """Per measure: 5 milestones, 1 KPI with 50 readings; plus departments, programmes and goals."""
    assert workload["measure"] == 30
    assert workload["milestone"] == 150
    assert workload["kpi"] == 30
    assert workload["kpi_reading"] == 1500
    assert workload["programme"] == 4 and workload["department"] >= 15 and workload["goal"] >= 35


def test_recompute_all_changes_nothing_after_generate(workload):
    """Derived fields and roll-up sums are computed like on write: rebuilding them from scratch is a no-op."""
    from fahrplan.services import rollup

    before = rollup_state()
    rollup.recompute_all()
    after = rollup_state()
    assert after.keys() == before.keys()
    assert after == before


def test_generated_entities_have_the_shape_of_skeleton_written_ones(workload):
    """Same properties, unindexed properties, relational refKeys and viurTags as a skeleton's write gives."""
    from viur.core import db, skeleton
    from viur.core.skeleton.adapter import ViurTagsSearchAdapter

    written = write_one_of_each()
    for kind in SHAPE_KINDS:
        generated = next(entity for entity in db.Query(kind).iter() if entity.key not in written.values())
        reference = db.get(written[kind])
        assert shape(generated) == shape(reference), kind
        assert set(generated.exclude_from_indexes) == set(reference.exclude_from_indexes), kind
        # viurTags as viur-core's search adapter computes them from the stored values
        skel = skeleton.skeletonByKind(kind)()
        assert skel.read(generated.key)
        adapter = next(a for a in skel.database_adapters if isinstance(a, ViurTagsSearchAdapter))
        skel.dbEntity["viurTags"] = []
        adapter.prewrite(skel)
        assert set(generated["viurTags"]) == set(skel.dbEntity["viurTags"]), kind


def test_generated_measures_are_served_by_the_app(workload, client):
    """Anonymous JSON list and view return generated (published) measures."""
    listing = client.json("/json/measure/list")
    assert listing["skellist"]
    assert {skel["publication"] for skel in listing["skellist"]} == {"published"}
    key = listing["skellist"][0]["key"]
    view = client.json(f"/json/measure/view/{key}")
    assert view["values"]["name"] == listing["skellist"][0]["name"]
    assert view["values"]["lead_department"]["dest"]["name"]
    word = listing["skellist"][0]["name"].split()[-1].lower()
    found = client.json("/json/measure/list", search=word)
    assert key in {skel["key"] for skel in found["skellist"]}


def shape(value):
    """Property names and value types, recursively (embedded entities and lists)."""
    if isinstance(value, dict):
        return {name: shape(item) for name, item in value.items() if name not in ("viurTags",)}
    if isinstance(value, list):
        return ["list"]
    if value is None:
        return None
    return type(value).__name__.replace("DatetimeWithNanoseconds", "datetime")


def write_one_of_each() -> dict:
    """One entity of each kind written through the skeletons, filled like the generator fills them."""
    from viur.core import skeleton

    def write(kind, **values):
        skel = skeleton.skeletonByKind(kind)()
        for bone, value in values.items():
            assert skel.setBoneValue(bone, value), (kind, bone)
        return skel.write()["key"]

    day = datetime.datetime(2024, 3, 31, tzinfo=datetime.UTC)
    keys = {}
    top = write("department", name="Dezernat X", short_code="X", level="dezernat", email="x@dortmund.example")
    keys["department"] = write(
        "department",
        name="Amt Y",
        short_code="Y",
        parent=top,
        email="y@dortmund.example",
        phone="+49 231 50-0001",
        postal_address="Beispielplatz 1\n44135 Dortmund",
    )
    keys["programme"] = write(
        "programme", name="Programm", short_code="p", description="Text.", publication="published"
    )
    goal = write("goal", name="Leitziel", code="1", programmes=[keys["programme"]])
    keys["goal"] = write("goal", name="Teilziel", code="1.1", parent=goal, weight=2)
    keys["measure"] = write(
        "measure",
        name="Maßnahme x",
        external_id="REF-1",
        summary="Kurz.",
        description="<p>Lang.</p>",
        goals=[keys["goal"]],
        programme=keys["programme"],
        lead_department=keys["department"],
        departments=[keys["department"]],
        status="in_progress",
        weight=1,
        planned_start=day,
        planned_end=day,
        actual_start=day,
        publication="published",
        contact_name="Team",
        contact_email="y@dortmund.example",
        status_note="",
        principle_data_protection={"state": "fulfilled"},
        principle_it_security={"state": "open"},
        principle_accessibility={"state": "open"},
        principle_analogue_access={"state": "open"},
        principle_open_source={"state": "open"},
        principle_open_data={"state": "open"},
    )
    keys["milestone"] = write(
        "milestone",
        measure=keys["measure"],
        name="Zwischenziel 1",
        planned_date=day,
        state="done",
        actual_date=day,
    )
    keys["kpi"] = write(
        "kpi",
        measure=keys["measure"],
        name="Kennzahl",
        unit="%",
        baseline_value=0,
        baseline_date=day,
        target_value=100,
        target_date=day + datetime.timedelta(days=9000),  # still running, like the generated KPIs
    )
    keys["kpi_reading"] = write("kpi_reading", kpi=keys["kpi"], date=day, value=5.0)
    return keys
