"""
Cross-field validation (``fahrplan.services.validation``): plain functions over bone values that return
``(bone, message)`` pairs, called by the skeletons' ``fromClient``.
"""

import datetime

import pytest

from fahrplan.services.validation import (
    changed,
    check_kpi,
    check_measure,
    check_milestone,
    check_order,
    check_reason,
)

MEASURE_WATCHED = ("status", "planned_start", "planned_end", "actual_start", "actual_end")
MILESTONE_WATCHED = ("planned_date", "actual_date", "state")
KPI_WATCHED = ("target_value", "target_date")

D = datetime.date
UTC = datetime.UTC


def bones(errors) -> list[str]:
    return [bone for bone, _ in errors]


# ------------------------------------------------------------------------------
# check_order
#


def test_end_before_start_is_an_error_on_the_end_bone():
    """A measure ending before it starts makes the timeline (and the delay check) meaningless."""
    errors = check_order({"start": D(2024, 5, 2), "end": D(2024, 5, 1)}, "start", "end")
    assert errors == [("end", "Das Ende liegt vor dem Beginn.")]


def test_end_on_the_start_day_is_fine():
    """One-day measures and milestones exist; start and end may be the same day."""
    assert check_order({"start": D(2024, 5, 1), "end": D(2024, 5, 1)}, "start", "end") == []
    assert check_order({"start": D(2024, 5, 1), "end": D(2024, 5, 2)}, "start", "end") == []


def test_order_compares_datetimes_by_day():
    """Date bones come back as datetimes; the time of day must not turn a same-day range into an error."""
    values = {"start": datetime.datetime(2024, 5, 1, 15, 0, tzinfo=UTC), "end": D(2024, 5, 1)}
    assert check_order(values, "start", "end") == []
    values = {"start": datetime.datetime(2024, 5, 1, 18, 0), "end": datetime.datetime(2024, 5, 1, 9, 0)}
    assert check_order(values, "start", "end") == []
    values = {"start": datetime.datetime(2024, 5, 2, 0, 0), "end": datetime.datetime(2024, 5, 1, 23, 59)}
    assert bones(check_order(values, "start", "end")) == ["end"]


@pytest.mark.parametrize(
    "values",
    [{}, {"start": D(2024, 5, 2)}, {"end": D(2024, 5, 1)}, {"start": None, "end": D(2024, 1, 1)}, {"start": "x"}],
)
def test_order_needs_both_dates(values):
    """Dates are optional; a range with one end open cannot be out of order."""
    assert check_order(values, "start", "end") == []


# ------------------------------------------------------------------------------
# changed
#


def test_changed_lists_the_bones_that_differ_in_the_given_order():
    """The reason prompt names exactly the bones that changed."""
    before = {"status": "planned", "planned_end": D(2024, 1, 1), "name": "A"}
    after = {"status": "in_progress", "planned_end": D(2024, 2, 1), "name": "B"}
    assert changed(before, after, ("planned_end", "status")) == ["planned_end", "status"]
    assert changed(before, after, ()) == []


def test_changed_compares_dates_by_day():
    """Re-saving the same date (now as a datetime with a time) is no change and must not demand a reason."""
    before = {"planned_end": datetime.datetime(2024, 3, 1, 0, 0, tzinfo=UTC)}
    assert changed(before, {"planned_end": D(2024, 3, 1)}, ["planned_end"]) == []
    assert changed(before, {"planned_end": datetime.datetime(2024, 3, 1, 12, 0, tzinfo=UTC)}, ["planned_end"]) == []
    assert changed(before, {"planned_end": D(2024, 3, 2)}, ["planned_end"]) == ["planned_end"]


def test_changed_treats_empty_values_alike():
    """An empty field is empty whether stored as None or sent as an empty string."""
    assert changed({"planned_end": None}, {"planned_end": ""}, ["planned_end"]) == []
    assert changed({}, {"planned_end": None}, ["planned_end"]) == []
    assert changed({"planned_end": None}, {"planned_end": D(2024, 1, 1)}, ["planned_end"]) == ["planned_end"]


# ------------------------------------------------------------------------------
# check_reason
#


def test_reason_is_not_required_when_creating():
    """A new entity has no "before"; its first values are not a change that needs justifying."""
    assert check_reason(None, {"status": "delayed"}, MEASURE_WATCHED) == []


def test_reason_is_required_when_a_watched_bone_changes_on_edit():
    """Moving a date or a status must be explained: the reason is published in the history."""
    errors = check_reason({"status": "planned"}, {"status": "delayed"}, MEASURE_WATCHED)
    assert bones(errors) == ["change_reason"]
    assert "(status)" in errors[0][1]


def test_reason_names_every_changed_watched_bone():
    """The editor sees which changes need the explanation."""
    before = {"status": "planned", "planned_end": D(2024, 1, 1)}
    after = {"status": "delayed", "planned_end": D(2024, 6, 1)}
    ((bone, message),) = check_reason(before, after, MEASURE_WATCHED)
    assert bone == "change_reason"
    assert "(status, planned_end)" in message


def test_reason_is_not_required_when_only_unwatched_bones_change():
    """Fixing a typo in the description must not force editors to write a justification."""
    before = {"status": "planned", "description": "alt"}
    after = {"status": "planned", "description": "neu"}
    assert check_reason(before, after, MEASURE_WATCHED) == []


def test_reason_is_not_required_when_nothing_changed():
    """Saving an edit form unchanged is no change."""
    values = {"status": "planned", "planned_end": D(2024, 1, 1)}
    assert check_reason(dict(values), dict(values), MEASURE_WATCHED) == []


def test_a_given_reason_satisfies_the_rule():
    """With a reason the change is accepted."""
    after = {"status": "delayed", "change_reason": "Lieferverzug"}
    assert check_reason({"status": "planned"}, after, MEASURE_WATCHED) == []


@pytest.mark.parametrize("reason", [None, "", "   ", "\n\t"])
def test_blank_reason_does_not_count(reason):
    """Whitespace is not an explanation; the history would show an empty reason."""
    after = {"status": "delayed", "change_reason": reason}
    assert bones(check_reason({"status": "planned"}, after, MEASURE_WATCHED)) == ["change_reason"]


def test_reason_bone_name_is_configurable():
    """The error must sit on the bone the form actually shows."""
    errors = check_reason({"state": "open"}, {"state": "done"}, ["state"], reason_bone="why")
    assert bones(errors) == ["why"]
    assert check_reason({"state": "open"}, {"state": "done", "why": "fertig"}, ["state"], reason_bone="why") == []


# ------------------------------------------------------------------------------
# check_measure
#


def test_measure_checks_both_date_ranges_and_the_reason():
    """All measure rules run together so the editor sees every problem at once."""
    values = {
        "planned_start": D(2024, 6, 1),
        "planned_end": D(2024, 1, 1),
        "actual_start": D(2024, 6, 1),
        "actual_end": D(2024, 5, 31),
        "status": "delayed",
    }
    errors = check_measure(values, {"status": "planned"}, MEASURE_WATCHED)
    assert bones(errors) == ["planned_end", "actual_end", "change_reason"]


def test_valid_new_measure_has_no_errors():
    """A consistent new measure passes (no reason needed on creation)."""
    values = {"planned_start": D(2024, 1, 1), "planned_end": D(2024, 12, 31), "status": "planned"}
    assert check_measure(values, None, MEASURE_WATCHED) == []


# ------------------------------------------------------------------------------
# check_milestone
#


def test_done_milestone_needs_its_actual_date():
    """ "Reached" without a date cannot be shown on the timeline nor checked against the plan."""
    errors = check_milestone({"state": "done", "actual_date": None}, None, MILESTONE_WATCHED)
    assert bones(errors) == ["actual_date"]
    assert check_milestone({"state": "done", "actual_date": D(2024, 2, 1)}, None, MILESTONE_WATCHED) == []


@pytest.mark.parametrize("state", ["open", "dropped", None])
def test_open_or_dropped_milestone_needs_no_actual_date(state):
    """Only a reached milestone has a reached-on date."""
    assert check_milestone({"state": state}, None, MILESTONE_WATCHED) == []


def test_milestone_edit_needs_a_reason_and_the_date():
    """Marking a milestone done on edit changes the public progress: it needs a reason and the date."""
    before = {"state": "open", "planned_date": D(2024, 3, 1), "actual_date": None}
    after = {"state": "done", "planned_date": D(2024, 3, 1), "actual_date": None}
    assert bones(check_milestone(after, before, MILESTONE_WATCHED)) == ["change_reason", "actual_date"]
    after.update(actual_date=D(2024, 3, 5), change_reason="Abnahme erfolgt")
    assert check_milestone(after, before, MILESTONE_WATCHED) == []


# ------------------------------------------------------------------------------
# check_kpi
#


def kpi(**values) -> dict:
    base = {
        "measure": {"dest": {"key": "m"}},
        "goal": None,
        "baseline_value": 10.0,
        "target_value": 20.0,
        "baseline_date": D(2024, 1, 1),
        "target_date": D(2025, 1, 1),
    }
    base.update(values)
    return base


def test_valid_kpi_has_no_errors():
    """A KPI of one measure with distinct values and ordered dates is accepted."""
    assert check_kpi(kpi(), None, KPI_WATCHED) == []
    assert check_kpi(kpi(measure=None, goal={"dest": {"key": "g"}}), None, KPI_WATCHED) == []


@pytest.mark.parametrize(("measure", "goal"), [(None, None), ({"dest": {"key": "m"}}, {"dest": {"key": "g"}})])
def test_kpi_belongs_to_exactly_one_parent(measure, goal):
    """A KPI counted for both a measure and a goal (or for nothing) has no clear owner in the roll-up."""
    assert bones(check_kpi(kpi(measure=measure, goal=goal), None, KPI_WATCHED)) == ["measure"]


@pytest.mark.parametrize(("baseline", "target"), [(10, 10), (10.0, 10), ("10", 10.0), (0, 0)])
def test_equal_baseline_and_target_is_an_error(baseline, target):
    """Without a distance from baseline to target the linear path (and the rating) is undefined."""
    errors = check_kpi(kpi(baseline_value=baseline, target_value=target), None, KPI_WATCHED)
    assert errors == [("target_value", "Der Zielwert muss sich vom Ausgangswert unterscheiden.")]


def test_zero_baseline_with_other_target_is_fine():
    """0 is a real baseline (e.g. no online services yet); it must not be treated as missing or equal."""
    assert check_kpi(kpi(baseline_value=0, target_value=5), None, KPI_WATCHED) == []
    assert check_kpi(kpi(baseline_value=None, target_value=None), None, KPI_WATCHED) == []


def test_kpi_target_date_before_baseline_date_is_an_error():
    """The path from baseline to target must run forward in time."""
    errors = check_kpi(kpi(target_date=D(2023, 12, 31)), None, KPI_WATCHED)
    assert bones(errors) == ["target_date"]


def test_kpi_target_change_needs_a_reason():
    """Moving the goalposts of a KPI must be explained publicly."""
    before = {"target_value": 20.0, "target_date": D(2025, 1, 1)}
    assert bones(check_kpi(kpi(target_value=15.0), before, KPI_WATCHED)) == ["change_reason"]
    assert check_kpi(kpi(target_value=15.0, change_reason="Neue Vorgabe"), before, KPI_WATCHED) == []
    assert check_kpi(kpi(baseline_value=12.0), before, KPI_WATCHED) == []


def test_kpi_reports_all_errors_at_once():
    """The editor fixes everything in one round trip."""
    values = kpi(goal={"dest": {"key": "g"}}, target_value=10.0, target_date=D(2023, 1, 1))
    before = {"target_value": 20.0, "target_date": D(2025, 1, 1)}
    assert bones(check_kpi(values, before, KPI_WATCHED)) == ["measure", "target_value", "target_date", "change_reason"]
