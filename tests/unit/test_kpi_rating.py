"""
The on-track rating of a KPI (``fahrplan.services.kpi``): the documented linear-path method and the
reading series it works on.

Method (module docstring): compare the latest value's *achieved share* of the way from baseline to target
with the *expected share* of the time passed; achieved when the target is reached, on track within 5
points, at risk within 20 points, off track below that or once the target date has passed.
"""

import datetime

import pytest

from fahrplan.services.kpi import Assessment, assess, insert_reading, latest, rating_changes_on, remove_reading
from fahrplan.types import KpiDirection, Rating

BASE = datetime.date(2024, 1, 1)


def day(n: int) -> datetime.date:
    return BASE + datetime.timedelta(days=n)


def rate(value: float, *, on: int = 50, days: int = 100, direction="higher", baseline=0.0, target=100.0, **kw):
    """Rate ``value`` read on day ``on`` of a KPI running ``days`` days from ``baseline`` to ``target``."""
    return assess(
        direction=direction,
        baseline_value=baseline,
        baseline_date=BASE,
        target_value=target,
        target_date=day(days),
        latest=(day(on), value),
        **kw,
    )


# ------------------------------------------------------------------------------
# assess
#


def test_no_readings_means_no_data():
    """A KPI without a reading must say so instead of pretending to be on or off track."""
    result = assess(
        direction="higher",
        baseline_value=0,
        baseline_date=BASE,
        target_value=100,
        target_date=day(100),
        latest=None,
        today=day(500),
    )
    assert result == Assessment(Rating.NO_DATA, "Für diese Kontrollgröße liegt noch kein Messwert vor.")
    assert result.achieved_share is None and result.expected_share is None


@pytest.mark.parametrize("value", [100, 100.0, 130])
def test_reaching_or_passing_the_target_is_achieved(value):
    """Hitting the target exactly counts as achieved; overshooting it is no reason for a worse rating."""
    result = rate(value, on=10)
    assert result.rating is Rating.ACHIEVED
    assert result.expected_share == 1.0
    assert "erreicht das Ziel von 100" in result.explanation


def test_achieved_even_after_the_target_date():
    """A target reached late is still reached; the rating must not call it off track."""
    assert rate(120, on=150, today=day(200)).rating is Rating.ACHIEVED


def test_lower_is_better_achieved_when_at_or_below_target():
    """For KPIs that should fall (e.g. waiting days), reaching the target means going down to it."""
    assert rate(50, direction=KpiDirection.LOWER, baseline=100, target=50).rating is Rating.ACHIEVED
    assert rate(10, direction="lower", baseline=100, target=50).rating is Rating.ACHIEVED


def test_lower_is_better_is_not_achieved_above_target():
    """A falling KPI above its target is not done, even though its value is "higher" than the target."""
    result = rate(75, direction="lower", baseline=100, target=50)
    assert result.rating is Rating.ON_TRACK
    assert result.achieved_share == pytest.approx(0.5)
    assert result.expected_share == pytest.approx(0.5)


def test_lower_is_better_measures_the_way_down():
    """The share of the way is measured towards the target: falling 10 of 50 units is 20 % done."""
    result = rate(90, direction="lower", baseline=100, target=50)
    assert result.achieved_share == pytest.approx(0.2)
    assert result.rating is Rating.OFF_TRACK


def test_moving_the_wrong_way_is_off_track():
    """A falling KPI that rose (or a rising one that fell) has a negative share and is off track."""
    result = rate(110, direction="lower", baseline=100, target=50, on=10, days=100)
    assert result.achieved_share == pytest.approx(-0.2)
    assert result.rating is Rating.OFF_TRACK
    assert rate(-5, on=20).rating is Rating.OFF_TRACK


def test_higher_is_better_is_not_achieved_below_target():
    """A rising KPI below its target is not achieved, whatever its pace."""
    assert rate(99.9, on=50).rating is Rating.ON_TRACK


def test_direction_accepts_enum_or_string_and_rejects_others():
    """The stored direction is a string; anything outside the value set is a data error, not a guess."""
    assert rate(60, direction=KpiDirection.HIGHER).rating is rate(60, direction="higher").rating
    with pytest.raises(ValueError):
        rate(60, direction="up")


@pytest.mark.parametrize(
    ("days", "on", "value"),
    [
        (100, 50, 45),  # 50 % of the time, 45 % of the way
        (10, 2, 15),  # 20 % of the time, 15 % of the way
        (10, 4, 35),  # 40 % of the time, 35 % of the way
        (20, 11, 50),  # 55 % of the time, 50 % of the way
        (100, 80, 75),
    ],
)
def test_exactly_5_points_behind_is_on_track(days, on, value):
    """The method promises "on track: achieved share ≥ expected share − 5 points"; the boundary is inclusive."""
    result = rate(value, on=on, days=days)
    assert result.rating is Rating.ON_TRACK, (result.achieved_share, result.expected_share)
    assert result.explanation.endswith("die Kontrollgröße ist auf Kurs.")


@pytest.mark.parametrize(("days", "on", "value"), [(100, 50, 44.9), (10, 2, 14.9), (20, 11, 49.9)])
def test_just_over_5_points_behind_is_at_risk(days, on, value):
    """A tenth of a point beyond the on-track tolerance already means "at risk"."""
    result = rate(value, on=on, days=days)
    assert result.rating is Rating.AT_RISK
    assert result.explanation.endswith("das Ziel ist gefährdet.")


@pytest.mark.parametrize(
    ("days", "on", "value"),
    [
        (100, 50, 30),  # 50 % of the time, 30 % of the way
        (10, 8, 60),  # 80 % of the time, 60 % of the way
        (20, 11, 35),  # 55 % of the time, 35 % of the way
        (20, 16, 60),
    ],
)
def test_exactly_20_points_behind_is_at_risk(days, on, value):
    """The method promises "at risk: achieved share ≥ expected share − 20 points"; the boundary is inclusive."""
    result = rate(value, on=on, days=days)
    assert result.rating is Rating.AT_RISK, (result.achieved_share, result.expected_share)


@pytest.mark.parametrize(("days", "on", "value"), [(100, 50, 29.9), (10, 8, 59.9), (20, 11, 34.9)])
def test_more_than_20_points_behind_is_off_track(days, on, value):
    """Beyond the at-risk tolerance a KPI is off track, and the sentence says so."""
    result = rate(value, on=on, days=days)
    assert result.rating is Rating.OFF_TRACK
    assert result.explanation.endswith("die Kontrollgröße ist nicht auf Kurs.")


def test_ahead_of_schedule_is_on_track():
    """Being further along than the time suggests is on track, not "achieved" until the target is reached."""
    result = rate(80, on=20)
    assert result.rating is Rating.ON_TRACK
    assert result.achieved_share == pytest.approx(0.8)
    assert result.expected_share == pytest.approx(0.2)


def test_expected_share_uses_the_reading_date():
    """The latest value is compared with where the path stood on the day it was measured, not today."""
    result = rate(20, on=20, today=day(90))
    assert result.expected_share == pytest.approx(0.2)
    assert result.rating is Rating.ON_TRACK


def test_reading_before_the_baseline_date_expects_nothing_yet():
    """The expected share is clamped at 0 %: an early reading cannot be behind schedule."""
    result = assess(
        direction="higher",
        baseline_value=0,
        baseline_date=BASE,
        target_value=100,
        target_date=day(100),
        latest=(BASE - datetime.timedelta(days=10), 0),
    )
    assert result.expected_share == 0.0
    assert result.rating is Rating.ON_TRACK


def test_target_date_passed_without_reaching_the_target_is_off_track():
    """Once the deadline is over and the target missed, no amount of progress is "on track" any more."""
    result = rate(95, on=99, today=day(101))
    assert result.rating is Rating.OFF_TRACK
    assert "nicht erreicht" in result.explanation
    assert "10.04.2024" in result.explanation


def test_reading_on_the_target_date_below_target_is_off_track():
    """The value measured on the deadline is the final verdict: short of the target means missed."""
    assert rate(99, on=100).rating is Rating.OFF_TRACK
    assert rate(99, on=120).rating is Rating.OFF_TRACK


def test_target_date_today_is_not_yet_passed():
    """On the target day itself the KPI may still get there; only the day after is too late."""
    assert rate(50, on=50, today=day(100)).rating is Rating.ON_TRACK


def test_baseline_and_target_on_the_same_day_expect_everything():
    """Without a time span the whole way is expected at once (no division by zero)."""
    result = assess(
        direction="higher",
        baseline_value=0,
        baseline_date=BASE,
        target_value=100,
        target_date=BASE,
        latest=(BASE - datetime.timedelta(days=1), 50),
    )
    assert result.expected_share == 1.0
    assert result.rating is Rating.OFF_TRACK


def test_equal_baseline_and_target_values_do_not_divide_by_zero():
    """Validation forbids it, but stored legacy data must still rate instead of crashing the page."""
    result = rate(40, baseline=50, target=50)
    assert result.achieved_share == 0.0
    assert result.rating is Rating.OFF_TRACK


def test_explanation_is_one_german_sentence_with_formatted_numbers():
    """Citizens read the explanation: German number and date formats, the unit, and both shares in percent."""
    result = assess(
        direction="higher",
        baseline_value=1000,
        baseline_date=BASE,
        target_value=3000.5,
        target_date=day(100),
        latest=(day(50), 1950.25),
        unit="Anträge",
    )
    assert result.explanation.startswith("Der letzte Wert (1.950,25 Anträge am 20.02.2024) hat 48 % des Wegs")
    assert "vom Ausgangswert 1.000 Anträge zum Ziel 3.000,5 Anträge (bis 10.04.2024)" in result.explanation
    assert "wären 50 % zu erwarten" in result.explanation


def test_percent_unit_is_separated_by_a_space():
    """German typography writes "45 %", and a missing unit leaves no trailing blank."""
    assert rate(45, unit="%").explanation.startswith("Der letzte Wert (45 % am 20.02.2024)")
    assert rate(45).explanation.startswith("Der letzte Wert (45 am 20.02.2024)")


@pytest.mark.parametrize("rating", list(Rating))
def test_every_rating_has_a_label(rating):
    """The rating badge shows the label; every rating the method can return needs one."""
    assert rating.label


def test_rating_labels_verbatim():
    """The badges' wording is part of the published method."""
    assert [rating.label for rating in Rating] == [
        "Ziel erreicht",
        "Auf Kurs",
        "Gefährdet",
        "Nicht auf Kurs",
        "Keine Daten",
    ]
    assert KpiDirection.LOWER.label == "Niedriger ist besser"


# ------------------------------------------------------------------------------
# insert_reading, remove_reading, latest
#


def test_insert_into_an_empty_series():
    """The first reading starts the series, stored as JSON-friendly ``[iso date, float, id]``."""
    assert insert_reading([], datetime.date(2024, 3, 1), 7, "r1") == [["2024-03-01", 7.0, "r1"]]


def test_late_reading_inserted_in_the_middle_keeps_the_order():
    """Readings are often entered late; the series must stay sorted by date so ``latest`` is really the newest."""
    series = [["2024-01-01", 1.0, "a"], ["2024-03-01", 3.0, "c"]]
    result = insert_reading(series, datetime.date(2024, 2, 1), 2, "b")
    assert result == [["2024-01-01", 1.0, "a"], ["2024-02-01", 2.0, "b"], ["2024-03-01", 3.0, "c"]]
    assert latest(result) == (datetime.date(2024, 3, 1), 3.0)


def test_replacing_a_reading_with_the_same_id():
    """Editing a reading must replace it, not add a duplicate, and move it if its date changed."""
    series = [["2024-01-01", 1.0, "a"], ["2024-02-01", 2.0, "b"], ["2024-03-01", 3.0, "c"]]
    result = insert_reading(series, datetime.date(2024, 4, 1), 2.5, "b")
    assert result == [["2024-01-01", 1.0, "a"], ["2024-03-01", 3.0, "c"], ["2024-04-01", 2.5, "b"]]
    assert latest(result) == (datetime.date(2024, 4, 1), 2.5)
    assert insert_reading(series, datetime.date(2024, 2, 1), 9, "b")[1] == ["2024-02-01", 9.0, "b"]


def test_insert_reading_does_not_mutate_the_stored_series():
    """The caller compares old and new series; changing the old one in place would hide the change."""
    series = [["2024-01-01", 1.0, "a"], ["2024-03-01", 3.0, "c"]]
    insert_reading(series, datetime.date(2024, 2, 1), 2, "b")
    insert_reading(series, datetime.date(2024, 5, 1), 5, "a")
    assert series == [["2024-01-01", 1.0, "a"], ["2024-03-01", 3.0, "c"]]


def test_readings_on_the_same_day_have_a_stable_order():
    """Two readings of one day must sort the same way whatever order they were written in."""
    one = insert_reading(insert_reading([], BASE, 1, "x"), BASE, 2, "y")
    two = insert_reading(insert_reading([], BASE, 2, "y"), BASE, 1, "x")
    assert one == two


def test_dates_across_years_sort_chronologically():
    """ISO dates sort as text exactly like dates, also across year boundaries."""
    series = insert_reading([["2024-12-31", 1.0, "a"]], datetime.date(2023, 12, 31), 0, "z")
    assert [row[0] for row in series] == ["2023-12-31", "2024-12-31"]


def test_remove_reading():
    """A deleted reading must leave the series (and the rating falls back to the one before)."""
    series = [["2024-01-01", 1.0, "a"], ["2024-02-01", 2.0, "b"]]
    assert remove_reading(series, "b") == [["2024-01-01", 1.0, "a"]]
    assert remove_reading(series, "unknown") == series
    assert remove_reading([], "a") == []
    assert latest(remove_reading(remove_reading(series, "b"), "a")) is None


def test_latest_of_no_readings_is_none():
    """No readings means no latest value, which :func:`assess` rates as "no data"."""
    assert latest([]) is None
    assert latest(None) is None


def test_latest_reads_json_values():
    """The series comes back from JSON: ints, floats and extra fields must all parse."""
    assert latest([["2024-01-01", 1, "a"], ["2024-05-31", 12, "b"]]) == (datetime.date(2024, 5, 31), 12.0)
    assert latest([("2024-05-31", "3.5", "b", "extra")]) == (datetime.date(2024, 5, 31), 3.5)


# ------------------------------------------------------------------------------
# rating_changes_on
#


def changes_on(value: float, *, on: int = 50, days: int = 100, today: int = 60, **kw):
    return rating_changes_on(
        direction=kw.pop("direction", "higher"),
        baseline_value=0,
        baseline_date=BASE,
        target_value=100,
        target_date=day(days),
        latest=(day(on), value) if value is not None else None,
        today=day(today),
    )


def test_rating_of_a_missed_target_changes_the_day_after_the_target_date():
    """Time alone turns an unreached KPI off track the day after its target date: that day must be re-rated."""
    assert changes_on(50, today=60) == day(101)
    assert changes_on(10, today=60) == day(101)  # off track already, but its sentence changes to "nicht erreicht"
    assert changes_on(50, today=100) == day(101)


def test_rating_that_time_cannot_change_has_no_date():
    """Achieved, no data, or already past the target date: no day changes the rating, the daily task skips it."""
    assert changes_on(100, today=60) is None
    assert changes_on(None, today=60) is None
    assert changes_on(50, today=101) is None
    assert changes_on(50, on=100, today=60) is None  # read on the target date: the final verdict


def test_the_stored_rating_is_right_until_its_change_date():
    """Between today and the change date the rating stays as it is; on the change date it is the new one."""
    kwargs = {
        "direction": "higher",
        "baseline_value": 0,
        "baseline_date": BASE,
        "target_value": 100,
        "target_date": day(100),
    }
    reading = (day(50), 50)
    changes = rating_changes_on(**kwargs, latest=reading, today=day(60))
    before = assess(**kwargs, latest=reading, today=changes - datetime.timedelta(days=1))
    after = assess(**kwargs, latest=reading, today=changes)
    assert before == assess(**kwargs, latest=reading, today=day(60))
    assert before.rating is Rating.ON_TRACK and after.rating is Rating.OFF_TRACK
