"""Deleting cascades: a measure takes its milestones, KPIs and readings with it, a KPI its readings."""

import pytest

from tests.support import roadmap as rm


@pytest.mark.parametrize("render", ["json", "vi"])
def test_deleting_a_measure_deletes_its_milestones_kpis_and_readings(world, render):
    """Nothing of a deleted measure stays stored or public; each child's deletion is in the history."""
    r = world.roadmap
    branch = rm.add_branch(r.dept_a, r.programme, r.subgoal)
    second_reading = rm.add_reading(branch.kpi, value=55)
    status, body = world.sessions["root"].post_json(f"/{render}/measure/delete/{rm.urlsafe(branch.measure)}", {})
    assert status == 200, (status, str(body)[:300])
    for key in (branch.measure, branch.milestone, branch.kpi, branch.reading, second_reading):
        assert rm.stored(key) is None, key
    public = world.sessions["anonymous"]
    assert rm.urlsafe(branch.milestone) not in public.get("/json/milestone/list", limit="99").text
    assert rm.urlsafe(branch.kpi) not in public.get("/json/kpi/list", limit="99").text
    assert rm.change_of(branch.milestone, "deleted") is not None
    assert rm.change_of(branch.kpi, "deleted") is not None


def test_deleting_a_kpi_deletes_its_readings_and_keeps_the_measure(world):
    """A KPI's readings go with it; its measure and milestones stay."""
    r = world.roadmap
    branch = rm.add_branch(r.dept_a, r.programme, r.subgoal)
    status, body = world.sessions["ciio"].post_json(f"/json/kpi/delete/{rm.urlsafe(branch.kpi)}", {})
    assert status == 200, (status, str(body)[:300])
    assert rm.stored(branch.kpi) is None and rm.stored(branch.reading) is None
    assert rm.stored(branch.measure) is not None and rm.stored(branch.milestone) is not None
    assert rm.urlsafe(branch.kpi) not in (rm.stored(branch.measure).get("child_keys") or [])
