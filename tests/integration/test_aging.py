"""
Time passes without writes (issue 12): KPI ratings age past their target date, and the periodic tasks touch only
what the date alone can change. The date is injected (``rollup.local_today``), so the tests need no waiting.
"""

import datetime
import json

import pytest

from tests.support import roadmap as rm

UTC = datetime.UTC


def at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Set the app's "today" (Europe/Berlin calendar date) by ``clock.set(date)``."""
    from fahrplan.services import rollup

    class Clock:
        def set(self, value: datetime.date) -> None:
            monkeypatch.setattr(rollup, "local_today", lambda: value, raising=False)

    return Clock()


def spy(monkeypatch, module, name: str) -> list:
    """Record the first argument of every call of ``module.name`` (still calling it)."""
    calls = []
    original = getattr(module, name)

    def wrapper(first, *args, **kwargs):
        calls.append(first)
        return original(first, *args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_kpi_past_its_target_date_is_shown_off_track_and_re_rated_by_the_daily_task(world, clock, monkeypatch):
    """
    A KPI on track turns off track the day after its target date passes without a new reading: the JSON view
    and the portal page show that on the day itself, and the daily task stores it (for the admin's filtered
    views), touching only the KPIs whose rating changes that day.
    """
    from viur.core import db

    from fahrplan.modules import tasks
    from fahrplan.services import kpis, portal

    root = world.sessions["root"]
    r = world.roadmap
    clock.set(datetime.date(2030, 8, 1))
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    values = {
        "baseline_value": 0,
        "baseline_date": at(2030, 1, 1),
        "target_value": 100,
        "target_date": at(2030, 12, 31),
    }
    kpi = rm.add_kpi(measure, **values)
    rm.add_reading(kpi, date=at(2030, 7, 1), value=50)
    later = rm.add_kpi(measure, **{**values, "target_date": at(2035, 12, 31)})
    rm.add_reading(later, date=at(2030, 7, 1), value=50)
    assert db.get(kpi)["rating"] == "on_track"
    assert root.json(f"/json/kpi/view/{rm.urlsafe(kpi)}")["values"]["rating"] == "on_track"

    clock.set(datetime.date(2031, 1, 1))  # the target date has passed, no new reading
    shown = root.json(f"/json/kpi/view/{rm.urlsafe(kpi)}")["values"]
    assert shown["rating"] == "off_track" and "nicht erreicht" in shown["rating_text"]
    portal.reset()
    page = world.sessions["anonymous"].get(f"/massnahme/{rm.urlsafe(measure)}").text
    assert "rating-off_track" in page and "rating-on_track" in page  # the passed KPI, and the one running to 2035

    refreshed = spy(monkeypatch, kpis, "refresh")
    tasks.rerate_kpis()
    assert kpi in refreshed and later not in refreshed
    assert db.get(kpi)["rating"] == "off_track"
    assert db.get(later)["rating"] == "on_track"
    listed = root.json("/json/kpi/list", rating="off_track", limit="99")["skellist"]
    assert rm.urlsafe(kpi) in [item["key"] for item in listed]

    refreshed.clear()
    tasks.rerate_kpis()  # the next run: nothing changes that day any more
    assert kpi not in refreshed


def test_hourly_task_refreshes_only_measures_whose_state_can_change(world, clock, monkeypatch):
    """
    Many finished measures whose planned end passed long ago can never turn delayed; the hourly task must not
    refresh them every hour. It refreshes the running measure whose planned end just passed, and only it.
    """
    from viur.core import db

    from fahrplan.modules.measure import refresh_overdue
    from fahrplan.services import rollup

    r = world.roadmap
    clock.set(datetime.date(2030, 6, 15))
    finished = [
        rm.add_measure(r.dept_a, r.programme, r.subgoal, status=status, planned_end=rm.PAST)
        for status in ("completed", "stopped") * 6
    ]
    running = rm.add_measure(r.dept_a, r.programme, r.subgoal, status="in_progress", planned_end=at(2030, 6, 30))
    assert db.get(running)["is_delayed"] is False

    clock.set(datetime.date(2030, 7, 2))
    refreshed = spy(monkeypatch, rollup, "refresh_measure")
    refresh_overdue()
    assert set(refreshed) & set(finished) == set()
    assert running in refreshed
    assert db.get(running)["is_delayed"] is True

    refreshed.clear()
    refresh_overdue()  # an hour later: nothing can change before the next date
    assert running not in refreshed and not set(refreshed) & set(finished)


def test_time_driven_refresh_reads_no_shared_entity_in_its_transaction(world, clock, monkeypatch):
    """
    The folds write the sums onto goals (and the roadmap's stats); a refresh that reads them in its transaction
    holds locks the folds must wait for. When only the date changed, the measure's goals are the ones its stored
    contribution already counts for: the hourly task's transactions read the measure and its milestones only.
    """
    from viur.core import db

    from fahrplan.modules.measure import refresh_overdue
    from fahrplan.services import rollup

    r = world.roadmap
    clock.set(datetime.date(2030, 6, 15))
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal, status="in_progress", planned_end=at(2030, 6, 30))
    rm.add_milestone(measure, planned_date=at(2030, 6, 20))
    before = db.get(measure)["rollup"]
    clock.set(datetime.date(2030, 7, 2))
    read_in_transactions = set()
    original, refresh_txn = db.get, rollup._refresh_txn
    inside = []

    def get(keys, *args, **kwargs):
        if inside:
            read_in_transactions.update(key.kind for key in (keys if isinstance(keys, list) else [keys]))
        return original(keys, *args, **kwargs)

    def txn(*args, **kwargs):
        inside.append(True)
        try:
            return refresh_txn(*args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(db, "get", get)
    monkeypatch.setattr(rollup, "_refresh_txn", txn)
    refresh_overdue()
    entity = original(measure)
    assert entity["is_delayed"] is True and entity["overdue_count"] == 1
    assert read_in_transactions == {"measure", "milestone"}, read_in_transactions
    assert json.loads(entity["rollup"])["targets"] == json.loads(before)["targets"]


def test_rerate_all_gives_kpis_written_before_the_change_dates_their_day(world, clock):
    """
    KPIs stored before ``rating_changes_on`` existed (rated without a date) are never found by the daily task;
    the one-off ``rerate_all`` (``python -m tools.manage rerate-kpis``) rates every KPI for today and dates it.
    """
    from viur.core import db

    from fahrplan.services import kpis, rollup

    r = world.roadmap
    clock.set(datetime.date(2030, 8, 1))
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    kpi = rm.add_kpi(
        measure, baseline_value=0, baseline_date=at(2030, 1, 1), target_value=100, target_date=at(2031, 1, 1)
    )
    rm.add_reading(kpi, date=at(2030, 7, 1), value=50)
    legacy = db.get(kpi)
    del legacy["rating_changes_on"]
    db.put(legacy)
    assert kpis.rerate_all() >= 1
    assert rollup.local_date(db.get(kpi)["rating_changes_on"]) == datetime.date(2031, 1, 2)


def test_re_rating_runs_in_resumable_chunks(world, clock, monkeypatch):
    """More due KPIs than one chunk: each chunk hands its cursor on, every due KPI is re-rated exactly once."""
    from fahrplan.modules import tasks
    from fahrplan.services import kpis

    r = world.roadmap
    clock.set(datetime.date(2030, 8, 1))
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    due = []
    for _ in range(5):
        kpi = rm.add_kpi(
            measure, baseline_value=0, baseline_date=at(2030, 1, 1), target_value=9, target_date=at(2030, 9, 1)
        )
        rm.add_reading(kpi, date=at(2030, 7, 1), value=5)
        due.append(kpi)
    monkeypatch.setattr(tasks, "DUE_CHUNK", 2)
    chunks = spy(monkeypatch, tasks, "_due_chunk")
    refreshed = spy(monkeypatch, kpis, "refresh")
    clock.set(datetime.date(2030, 9, 2))
    tasks.rerate_kpis()
    assert {key for key in refreshed if key in due} == set(due)
    assert len(refreshed) == len(set(refreshed))
    assert len(chunks) >= 3
