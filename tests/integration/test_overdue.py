"""Overdue milestones make their measure delayed (with the reason), and roll-ups follow milestone writes."""

from tests.support import roadmap as rm


def milestone_payload(measure, planned: str, **values: str) -> dict[str, str]:
    return {
        "measure": rm.urlsafe(measure),
        "name": values.pop("name", rm.unique("Zwischenziel")),
        "planned_date": planned,
        "state": "open",
        "weight": "1",
        **values,
    }


def test_overdue_milestone_delays_its_measure_until_done(world):
    root = world.sessions["root"]
    r = world.roadmap
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    status, body = root.post_json("/json/milestone/add", milestone_payload(measure, "2024-02-01", name="Ausschreibung"))
    assert status == 200 and body["action"] == "addSuccess", body.get("errors")
    milestone = body["values"]["key"]
    values = root.json(f"/json/measure/view/{rm.urlsafe(measure)}")["values"]
    assert values["is_delayed"] is True
    assert "Ausschreibung" in values["delay_reason"] and "01.02.2024" in values["delay_reason"]
    assert values["overdue_count"] == 1

    status, body = root.post_json(
        f"/json/milestone/edit/{milestone}",
        {"state": "done", "actual_date": "2024-03-01", "change_reason": "Erledigt"},
    )
    assert status == 200 and body["action"] == "editSuccess", body.get("errors")
    values = root.json(f"/json/measure/view/{rm.urlsafe(measure)}")["values"]
    assert values["is_delayed"] is False
    assert not values["delay_reason"]
    assert values["overdue_count"] == 0


def test_rollup_follows_milestone_add_edit_delete(world):
    """A measure alone under its own goal and programme: their progress is the measure's, on every write."""
    root = world.sessions["root"]
    programme = rm.add("programme", name="Roll-up", short_code=rm.unique("r"), publication="published")
    goal = rm.add("goal", name="Roll-up-Ziel", code="R", publication="published")
    subgoal = rm.add("goal", name="Roll-up-Teilziel", code="R.1", parent=goal, publication="published")
    measure = rm.add_measure(world.roadmap.dept_a, programme, subgoal)

    def progress() -> tuple[float, float, float, float]:
        return tuple(
            root.json(f"/json/{module}/view/{rm.urlsafe(key)}")["values"]["progress"]
            for module, key in (("measure", measure), ("goal", subgoal), ("goal", goal), ("programme", programme))
        )

    assert progress() == (10, 10, 10, 10)  # "planned" without milestones
    status, first = root.post_json("/json/milestone/add", milestone_payload(measure, "2030-01-01"))
    assert status == 200 and first["action"] == "addSuccess", first.get("errors")
    assert progress() == (0, 0, 0, 0)
    status, second = root.post_json("/json/milestone/add", milestone_payload(measure, "2030-06-01"))
    assert status == 200 and second["action"] == "addSuccess", second.get("errors")
    status, body = root.post_json(
        f"/json/milestone/edit/{first['values']['key']}",
        {"state": "done", "actual_date": "2025-01-01", "change_reason": "Erreicht"},
    )
    assert status == 200 and body["action"] == "editSuccess", body.get("errors")
    assert progress() == (50, 50, 50, 50)
    status, _ = root.post_json(f"/json/milestone/delete/{second['values']['key']}", {})
    assert status == 200
    assert progress() == (100, 100, 100, 100)


def test_hourly_task_delays_measures_whose_dates_passed_without_a_write(world, monkeypatch):
    """Time passes without writes: the periodic task turns a measure delayed once its milestone date passed."""
    import datetime

    from viur.core import db

    from fahrplan.modules.measure import refresh_overdue
    from fahrplan.services import rollup

    r = world.roadmap
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    rm.add_milestone(measure, name="Rollout", planned_date=datetime.datetime(2030, 1, 15, tzinfo=datetime.UTC))
    monkeypatch.setattr(rollup, "local_today", lambda: datetime.date(2030, 1, 15))
    refresh_overdue()
    assert db.get(measure)["is_delayed"] is False  # due on its day, overdue only from the day after
    monkeypatch.setattr(rollup, "local_today", lambda: datetime.date(2030, 1, 16))  # the date passes, no write
    refresh_overdue()
    entity = db.get(measure)
    assert entity["is_delayed"] is True and "Rollout" in entity["delay_reason"]
