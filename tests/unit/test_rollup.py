"""
The pure functions of the progress roll-up (``fahrplan.services.rollup``) and the status defaults they use.

No datastore and no app: the module imports viur-core only inside its datastore-side functions.
"""

import copy
import datetime

import pytest

from fahrplan.services import rollup
from fahrplan.services.rollup import (
    apply_contribution,
    delay,
    diff_targets,
    is_overdue,
    local_date,
    measure_progress,
    principle_index,
    progress_of,
)
from fahrplan.types import (
    KpiDirection,
    MeasureStatus,
    MilestoneState,
    Principle,
    PrincipleState,
    PublicationState,
    Rating,
)

TODAY = datetime.date(2024, 6, 15)
UTC = datetime.UTC


def contribution(
    weight: float = 1.0,
    progress: float = 50.0,
    status: str = "in_progress",
    delayed: bool = False,
    public: bool = True,
) -> dict:
    """A measure's contribution as :func:`rollup.contribution` builds it (targets are not read here)."""
    return {
        "weight": weight,
        "progress": progress,
        "status": status,
        "delayed": delayed,
        "public": public,
        "targets": {},
    }


def assert_zero(sums: dict) -> None:
    for scope in rollup.SCOPES:
        assert sums[scope] == {"n": 0, "w": 0.0, "wp": 0.0, "delayed": 0, "status": {}}, scope


# ------------------------------------------------------------------------------
# types.enums: the defaults and labels the roll-up and the portal show
#


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (MeasureStatus.IDEA, 0),
        (MeasureStatus.PLANNED, 10),
        (MeasureStatus.IN_PROGRESS, 50),
        (MeasureStatus.COMPLETED, 100),
        (MeasureStatus.DELAYED, 40),
        (MeasureStatus.STOPPED, 0),
    ],
)
def test_default_progress_per_status(status, expected):
    """A measure without milestones shows exactly this progress; the numbers are published, so they must not drift."""
    assert status.default_progress == expected


def test_every_enum_member_has_a_german_label():
    """Every value a select bone offers is shown by its label; a missing one would crash the page that shows it."""
    for enum_cls in (
        MeasureStatus,
        PublicationState,
        MilestoneState,
        Principle,
        PrincipleState,
        KpiDirection,
        Rating,
    ):
        for member in enum_cls:
            assert isinstance(member.label, str) and member.label.strip(), member
            assert member.label != member.value, member


def test_some_labels_verbatim():
    """Labels are what citizens read (German is the portal's default language); spot-check the wording."""
    assert MeasureStatus.IN_PROGRESS.label == "In Umsetzung"
    assert MeasureStatus.DELAYED.label == "Verzögert"
    assert PublicationState.REVIEW.label == "In Prüfung"
    assert MilestoneState.DROPPED.label == "Entfallen"
    assert Principle.ACCESSIBILITY.label == "Barrierefreiheit (BITV 2.0)"
    assert PrincipleState.NOT_APPLICABLE.label == "Nicht zutreffend"


def test_enum_members_compare_equal_to_their_stored_strings():
    """The datastore holds plain strings; the services compare them against the enums directly."""
    assert MeasureStatus("completed") is MeasureStatus.COMPLETED
    assert MilestoneState.DONE == "done"
    assert PublicationState.PUBLISHED == "published"


# ------------------------------------------------------------------------------
# measure_progress
#


@pytest.mark.parametrize("status", list(MeasureStatus))
def test_no_milestones_falls_back_to_the_status_default(status):
    """Without milestones there is nothing to weigh, so the status' default is the only honest estimate."""
    assert measure_progress(status.value, []) == (float(status.default_progress), "status")


def test_missing_status_counts_as_planned():
    """A measure saved without a status must not crash the roll-up; it is treated as planned (10 %)."""
    assert measure_progress(None, []) == (10.0, "status")
    assert measure_progress("", []) == (10.0, "status")


def test_unknown_status_is_rejected():
    """A status outside the value set is a data error that must surface, not be silently rated."""
    with pytest.raises(ValueError):
        measure_progress("finished", [])


def test_milestones_are_weighted():
    """Citizens must not see 100 % (or 50 %) for a measure whose only done milestone weighs little."""
    assert measure_progress("in_progress", [(1, "done"), (9, "open")]) == (10.0, "milestones")


def test_milestone_progress_is_rounded_to_one_decimal():
    """The stored progress is shown as is; one decimal keeps it readable and stable across recomputations."""
    assert measure_progress("in_progress", [(1, "done"), (1, "open"), (1, "open")]) == (33.3, "milestones")
    assert measure_progress("in_progress", [(2, "done"), (1, "open")]) == (66.7, "milestones")


def test_all_milestones_done_is_100():
    """When every milestone is reached, the measure's milestone progress is complete."""
    assert measure_progress("in_progress", [(2, "done"), (3, "done")]) == (100.0, "milestones")


def test_dropped_milestones_are_left_out():
    """A dropped milestone will never be reached; counting it would pin the measure below 100 % forever."""
    assert measure_progress("in_progress", [(1, "done"), (5, "dropped")]) == (100.0, "milestones")
    assert measure_progress("in_progress", [(1, "done"), (1, "open"), (8, "dropped")]) == (50.0, "milestones")


def test_only_dropped_milestones_fall_back_to_the_status_default():
    """Nothing left to weigh means the same as no milestones at all."""
    assert measure_progress("delayed", [(3, "dropped"), (1, MilestoneState.DROPPED)]) == (40.0, "status")


def test_weight_zero_milestones_count_for_nothing():
    """A milestone weighted 0 is informational: reaching it must not move the published progress."""
    assert measure_progress("in_progress", [(0, "done"), (1, "open")]) == (0.0, "milestones")
    assert measure_progress("in_progress", [(0, "open"), (1, "done")]) == (100.0, "milestones")


def test_only_weight_zero_milestones_fall_back_to_the_status_default():
    """Zero total weight cannot be divided; the status default is used instead of a crash or 0 %."""
    assert measure_progress("in_progress", [(0, "done"), (0, "open")]) == (50.0, "status")
    assert measure_progress("planned", [(None, "done")]) == (10.0, "status")


def test_completed_is_always_100():
    """A completed measure is done, whatever milestones are left open or an editor typed in manually."""
    assert measure_progress("completed", [(1, "done"), (9, "open")]) == (100.0, "status")
    assert measure_progress("completed", [], override=20) == (100.0, "status")


def test_manual_override_wins_over_milestones():
    """An editor's manual progress is deliberate; it replaces the computed value and says so (``manual``)."""
    assert measure_progress("in_progress", [(1, "done"), (1, "open")], override=80) == (80.0, "manual")


def test_manual_override_of_zero_is_kept():
    """0 % is a valid manual value and must not be mistaken for "no override"."""
    assert measure_progress("in_progress", [(1, "done")], override=0) == (0.0, "manual")


@pytest.mark.parametrize(("override", "expected"), [(150, 100.0), (100.5, 100.0), (-5, 0.0), (42.5, 42.5)])
def test_manual_override_is_clamped(override, expected):
    """Progress is a percentage; a typo must never show more than 100 % or less than 0 % to the public."""
    assert measure_progress("in_progress", [], override=override) == (expected, "manual")


def test_milestones_may_be_any_iterable():
    """The caller passes a generator over stored entities; it must be consumed once and correctly."""
    milestones = ((weight, state) for weight, state in [(1, "done"), (3, "open")])
    assert measure_progress("in_progress", milestones) == (25.0, "milestones")


# ------------------------------------------------------------------------------
# is_overdue, delay
#


def test_open_milestone_past_its_date_is_overdue():
    """A missed milestone is the first sign of a delay and must be flagged the day after its date."""
    assert is_overdue("open", TODAY - datetime.timedelta(days=1), TODAY)


def test_milestone_due_today_is_not_yet_overdue():
    """The planned day itself still counts; flagging it in the morning would be unfair to the team."""
    assert not is_overdue("open", TODAY, TODAY)
    assert not is_overdue("open", TODAY + datetime.timedelta(days=1), TODAY)


@pytest.mark.parametrize("state", ["done", "dropped", None])
def test_done_or_dropped_milestones_are_never_overdue(state):
    """Only open milestones can be late; reached or dropped ones are settled."""
    assert not is_overdue(state, TODAY - datetime.timedelta(days=30), TODAY)


def test_milestone_without_date_is_never_overdue():
    """Without a planned date there is nothing to miss."""
    assert not is_overdue("open", None, TODAY)


def test_nothing_late_is_not_delayed():
    """No overdue milestone, no past end, no delayed status: no delay and no reason text."""
    assert delay("in_progress", TODAY + datetime.timedelta(days=10), [], today=TODAY) == (False, "")


def test_overdue_milestones_are_named_with_their_dates():
    """Citizens are told which milestone is late and since when, in German date format."""
    overdue = [("Pilotbetrieb", datetime.date(2024, 3, 1)), ("Rollout", datetime.date(2024, 5, 31))]
    delayed, reason = delay("in_progress", None, overdue, today=TODAY)
    assert delayed
    assert "„Pilotbetrieb“" in reason and "01.03.2024" in reason
    assert "„Rollout“" in reason and "31.05.2024" in reason
    assert reason.index("Pilotbetrieb") < reason.index("Rollout")


def test_planned_end_in_the_past_is_a_delay():
    """A measure still running after its planned end is late, and the reason names the end date."""
    delayed, reason = delay("in_progress", datetime.date(2024, 6, 14), [], today=TODAY)
    assert delayed
    assert reason == "Das geplante Ende (14.06.2024) ist überschritten."


def test_planned_end_today_is_not_a_delay():
    """The planned end day itself is still on time."""
    assert delay("in_progress", TODAY, [], today=TODAY) == (False, "")


@pytest.mark.parametrize("status", ["completed", "stopped"])
def test_finished_measures_are_not_delayed_by_their_end_date(status):
    """A completed or stopped measure has ended; a past planned end is history, not a delay."""
    assert delay(status, datetime.date(2020, 1, 1), [], today=TODAY) == (False, "")


def test_without_today_the_end_date_is_not_checked():
    """Callers that do not pass today only get the milestone and status reasons (no hidden clock)."""
    assert delay("in_progress", datetime.date(2020, 1, 1), []) == (False, "")


def test_delayed_status_gives_the_editors_note():
    """An editor can report a delay the dates do not show; the public reason is their note."""
    assert delay("delayed", None, [], "Lieferengpass beim Dienstleister.", TODAY) == (
        True,
        "Lieferengpass beim Dienstleister.",
    )


def test_delayed_status_without_note_has_a_generic_reason():
    """A delay must always come with a reason sentence, even when the editor gave none."""
    assert delay("delayed", None, [], None, TODAY) == (True, "Die Maßnahme wurde als verzögert gemeldet.")
    assert delay("delayed", None, [], "", TODAY) == (True, "Die Maßnahme wurde als verzögert gemeldet.")


def test_delayed_status_note_does_not_hide_concrete_reasons():
    """When dates already explain the delay, the concrete reasons are shown instead of the generic note."""
    delayed, reason = delay("delayed", datetime.date(2024, 1, 31), [], "Notiz", TODAY)
    assert delayed
    assert reason == "Das geplante Ende (31.01.2024) ist überschritten."


# ------------------------------------------------------------------------------
# principle_index
#


def test_principle_index_lists_principles_with_a_state_in_enum_order():
    """The list filter "measures fulfilling accessibility" matches these strings; their order must be stable."""
    values = {
        "principle_open_data": {"state": "open"},
        "principle_data_protection": {"state": "fulfilled", "evidence_url": "https://example.org/dsfa"},
        "principle_accessibility": {"state": "in_progress"},
    }
    assert principle_index(values) == [
        "data_protection:fulfilled",
        "accessibility:in_progress",
        "open_data:open",
    ]


def test_principle_index_skips_missing_and_empty_states():
    """A principle nobody assessed yet must not appear as matching any filter."""
    values = {
        "principle_data_protection": None,
        "principle_it_security": {},
        "principle_accessibility": {"state": ""},
        "principle_open_source": {"state": None, "note": "tbd"},
    }
    assert principle_index(values) == []
    assert principle_index({}) == []


# ------------------------------------------------------------------------------
# apply_contribution, progress_of, diff_targets
#


def test_apply_to_nothing_creates_both_scopes():
    """A new goal has no sums yet; the first contribution must start from zero in both scopes."""
    sums = apply_contribution(None, contribution(weight=2, progress=30, status="planned"), 1.0, +1)
    expected = {"n": 1, "w": 2.0, "wp": 60.0, "delayed": 0, "status": {"planned": 1}}
    assert sums == {"all": expected, "public": expected}


def test_empty_contribution_changes_nothing():
    """Removing a measure that never contributed (no stored contribution) must leave the sums untouched."""
    assert_zero(apply_contribution(None, None, 1.0, -1))
    before = apply_contribution(None, contribution(), 1.0, +1)
    assert apply_contribution(before, None, 1.0, -1) == before


def test_add_then_remove_returns_the_sums_to_zero():
    """Every edit subtracts the old contribution and adds the new one; a leftover would drift the portal's numbers."""
    item = contribution(weight=1.3, progress=33.3, status="delayed", delayed=True)
    sums = apply_contribution(None, item, 0.7, +1)
    sums = apply_contribution(sums, item, 0.7, -1)
    assert_zero(sums)


def test_interleaved_adds_and_removes_return_to_zero():
    """Measures are added and removed in any order; the sums must end exactly at zero, without float residue."""
    items = [
        (contribution(weight=1.25, progress=12.5, status="planned"), 1.0),
        (contribution(weight=3.1, progress=66.7, status="in_progress", delayed=True), 0.5),
        (contribution(weight=0.1, progress=99.9, status="completed", public=False), 1.75),
        (contribution(weight=7.77, progress=0.1, status="in_progress"), 0.33),
    ]
    sums = None
    for item, factor in items:
        sums = apply_contribution(sums, item, factor, +1)
    for item, factor in reversed(items[::2]):
        sums = apply_contribution(sums, item, factor, -1)
    for item, factor in items[1::2]:
        sums = apply_contribution(sums, item, factor, -1)
    assert_zero(sums)
    assert progress_of(sums) == 0.0


def test_status_counts_drop_the_status_when_it_reaches_zero():
    """The portal lists "n measures per status"; a status with no measure left must disappear, not show 0."""
    sums = apply_contribution(None, contribution(status="planned"), 1.0, +1)
    sums = apply_contribution(sums, contribution(status="in_progress"), 1.0, +1)
    sums = apply_contribution(sums, contribution(status="planned"), 1.0, -1)
    assert sums["all"]["status"] == {"in_progress": 1}


def test_delayed_measures_are_counted():
    """The number of delayed measures per goal is published; only delayed contributions count."""
    sums = apply_contribution(None, contribution(delayed=True), 1.0, +1)
    sums = apply_contribution(sums, contribution(delayed=False), 1.0, +1)
    assert sums["all"]["delayed"] == 1
    assert sums["all"]["n"] == 2


def test_public_scope_ignores_drafts():
    """Public pages must never count unpublished measures, neither in numbers nor in progress."""
    sums = apply_contribution(None, contribution(progress=0, public=False, status="idea"), 1.0, +1)
    sums = apply_contribution(sums, contribution(progress=100, public=True, status="completed"), 1.0, +1)
    assert sums["all"]["n"] == 2
    assert sums["public"]["n"] == 1
    assert sums["public"]["status"] == {"completed": 1}
    assert progress_of(sums, "all") == 50.0
    assert progress_of(sums, "public") == 100.0


def test_unpublishing_takes_the_measure_out_of_the_public_scope():
    """Moving a measure back to draft replaces a public contribution by a non-public one: public sums go to zero."""
    published = contribution(progress=40, public=True)
    draft = contribution(progress=40, public=False)
    sums = apply_contribution(None, published, 1.0, +1)
    sums = apply_contribution(sums, published, 1.0, -1)
    sums = apply_contribution(sums, draft, 1.0, +1)
    assert sums["public"] == {"n": 0, "w": 0.0, "wp": 0.0, "delayed": 0, "status": {}}
    assert sums["all"]["n"] == 1
    assert progress_of(sums, "public") == 0.0


def test_target_factor_scales_the_weight():
    """A sub-goal's weight scales its measures' contribution to the goals above it."""
    sums = apply_contribution(None, contribution(weight=2, progress=100), 0.5, +1)
    assert sums["all"]["w"] == 1.0
    assert sums["all"]["wp"] == 100.0
    assert sums["all"]["n"] == 1  # the factor weighs, it does not count measures twice or half
    sums = apply_contribution(sums, contribution(weight=2, progress=0), 1.5, +1)
    assert sums["all"]["w"] == 4.0
    assert progress_of(sums) == 25.0


def test_apply_contribution_does_not_mutate_its_input():
    """The caller may still hold the stored sums (e.g. for a retry); changing them in place would double-count."""
    sums = apply_contribution(None, contribution(status="planned"), 1.0, +1)
    frozen = copy.deepcopy(sums)
    apply_contribution(sums, contribution(status="planned"), 1.0, +1)
    apply_contribution(sums, contribution(status="planned", public=False), 1.0, -1)
    assert sums == frozen


def test_apply_contribution_fills_missing_fields_of_stored_sums():
    """Sums stored by an older version may lack fields; they default to zero instead of failing."""
    sums = apply_contribution({"all": {"n": 1, "w": 1.0, "wp": 10.0}}, contribution(progress=30), 1.0, +1)
    assert sums["all"] == {"n": 2, "w": 2.0, "wp": 40.0, "delayed": 0, "status": {"in_progress": 1}}
    assert sums["public"]["n"] == 1


def test_progress_of_is_the_weighted_mean():
    """A goal's progress weighs its measures: a heavy measure at 0 % outweighs a light one at 100 %."""
    sums = apply_contribution(None, contribution(weight=3, progress=0), 1.0, +1)
    sums = apply_contribution(sums, contribution(weight=1, progress=100), 1.0, +1)
    assert progress_of(sums) == 25.0


def test_progress_of_without_weight_is_zero():
    """No measures (or only weight-0 ones) must show 0 %, not divide by zero."""
    assert progress_of(None) == 0.0
    assert progress_of({}) == 0.0
    assert progress_of(apply_contribution(None, None, 1.0, 1)) == 0.0
    assert progress_of(apply_contribution(None, contribution(weight=0, progress=80), 1.0, +1)) == 0.0
    assert progress_of({"all": {"w": 2.0, "wp": 50.0}}, "public") == 0.0


def test_progress_of_rounds_to_one_decimal():
    """Shown values are stored rounded so that pages and feeds agree."""
    assert progress_of({"all": {"w": 3.0, "wp": 100.0}}) == 33.3


def test_diff_targets_is_the_union_with_old_and_new_factors():
    """An edit must leave old targets (factor → None), enter new ones (None → factor) and update shared ones."""
    old = {"targets": {"stats": 1.0, "goal/a": 1.0, "goal/b": 0.5}}
    new = {"targets": {"stats": 1.0, "goal/b": 2.0, "goal/c": 1.0}}
    assert diff_targets(old, new) == {
        "stats": (1.0, 1.0),
        "goal/a": (1.0, None),
        "goal/b": (0.5, 2.0),
        "goal/c": (None, 1.0),
    }


def test_diff_targets_of_a_new_or_deleted_measure():
    """A first write only adds, a deletion only removes, and nothing on either side touches nothing."""
    new = {"targets": {"stats": 1.0, "goal/a": 1.0}}
    assert diff_targets(None, new) == {"stats": (None, 1.0), "goal/a": (None, 1.0)}
    assert diff_targets(new, None) == {"stats": (1.0, None), "goal/a": (1.0, None)}
    assert diff_targets(None, None) == {}
    assert diff_targets({}, {"targets": {}}) == {}


# ------------------------------------------------------------------------------
# local_date
#


def test_local_date_passes_dates_through():
    """Dates already are calendar days."""
    assert local_date(datetime.date(2024, 2, 29)) == datetime.date(2024, 2, 29)


def test_local_date_of_a_naive_datetime_is_its_date():
    """A naive datetime carries no zone to convert from; its own date is taken."""
    assert local_date(datetime.datetime(2024, 3, 1, 23, 59)) == datetime.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime.datetime(2024, 1, 31, 23, 30, tzinfo=UTC), datetime.date(2024, 2, 1)),  # CET, +1
        (datetime.datetime(2024, 6, 30, 22, 0, tzinfo=UTC), datetime.date(2024, 7, 1)),  # CEST, +2
        (datetime.datetime(2024, 6, 30, 21, 59, tzinfo=UTC), datetime.date(2024, 6, 30)),
        (datetime.datetime(2024, 6, 30, 0, 0, tzinfo=UTC), datetime.date(2024, 6, 30)),
    ],
)
def test_local_date_of_an_aware_datetime_is_the_day_in_berlin(instant, expected):
    """The datastore returns UTC; a milestone due "today" in Dortmund must not flip a day early or late."""
    assert local_date(instant) == expected


@pytest.mark.parametrize("value", [None, "", "2024-01-01", 20240101])
def test_local_date_of_anything_else_is_none(value):
    """Missing or malformed values yield no date rather than a crash while rolling up."""
    assert local_date(value) is None


def test_overdue_milestones_are_summed_and_vanish_at_zero():
    """The start page shows the number of overdue milestones from the roadmap's sums, without a query per view."""
    late = dict(contribution(), overdue=2)
    sums = apply_contribution(None, late, 1.0, +1)
    sums = apply_contribution(sums, dict(contribution(public=False), overdue=1), 1.0, +1)
    assert sums["all"]["overdue"] == 3
    assert sums["public"]["overdue"] == 2  # the draft's overdue milestone stays internal
    sums = apply_contribution(sums, late, 1.0, -1)
    assert sums["public"] == {"n": 0, "w": 0.0, "wp": 0.0, "delayed": 0, "status": {}}


def test_derive_names_the_next_open_milestone():
    """The start page lists "due next" from each measure's next open milestone (date and title), not a query."""
    milestones = [
        {"name": "Später", "planned_date": datetime.datetime(2024, 9, 1, tzinfo=UTC), "state": "open", "weight": 1},
        {"name": "Bald", "planned_date": datetime.datetime(2024, 7, 1, tzinfo=UTC), "state": "open", "weight": 1},
        {"name": "Erledigt", "planned_date": datetime.datetime(2024, 6, 20, tzinfo=UTC), "state": "done", "weight": 1},
    ]
    derived = rollup.derive({"status": "in_progress"}, milestones, TODAY)
    assert derived["next_milestone_name"] == "Bald"
    assert rollup.local_date(derived["next_milestone_date"]) == datetime.date(2024, 7, 1)
    assert rollup.derive({"status": "planned"}, [], TODAY)["next_milestone_name"] == ""


def test_search_words_split_compounds_and_drop_markup():
    assert rollup.search_words("E-Akte <b>für</b> alle", None) == ["akte", "alle", "für"]


def test_derive_names_the_day_time_alone_changes_a_measure():
    """
    The hourly task refreshes only measures whose derived state changes by the date alone: the day after the next
    open milestone's date (it turns overdue) or after the planned end (the measure turns delayed). A finished
    measure past its end never changes by time, so the task never touches it again.
    """

    def changes_on(entity, milestones):
        """The stored change day (a datetime at local midnight) as a calendar date."""
        return rollup.local_date(rollup.derive(entity, milestones, TODAY)["state_changes_on"])

    milestone = {"name": "Bald", "planned_date": datetime.datetime(2024, 7, 1, tzinfo=UTC), "state": "open"}
    end = datetime.datetime(2024, 6, 30, tzinfo=UTC)
    running = {"status": "in_progress", "planned_end": end}
    assert changes_on(running, [milestone]) == datetime.date(2024, 7, 1)
    assert changes_on({"status": "in_progress"}, [milestone]) == datetime.date(2024, 7, 2)
    assert changes_on({"status": "completed", "planned_end": end}, []) is None
    late = {"status": "in_progress", "planned_end": datetime.datetime(2024, 1, 1, tzinfo=UTC)}
    assert changes_on(late, []) is None  # delayed already: nothing left to change
    assert changes_on({"status": "stopped"}, [milestone]) == datetime.date(2024, 7, 2)
