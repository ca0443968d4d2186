"""
The change history's pure part (``fahrplan.services.history``): how stored values are shown (``display``)
and which bones an edit changed (``diff``). Recording itself needs the datastore and is tested elsewhere.
"""

import datetime

import pytest

from fahrplan.services.history import MAX_TEXT, diff, display
from fahrplan.types import MeasureStatus

UTC = datetime.UTC
STATUS_LABELS = {status.value: status.label for status in MeasureStatus}


# ------------------------------------------------------------------------------
# display
#


@pytest.mark.parametrize("value", [None, "", []])
def test_empty_values_display_as_nothing(value):
    """An empty field shows as empty, so "(leer) → X" reads naturally and empty-to-empty is no change."""
    assert display(value) == ""


def test_booleans_are_ja_or_nein():
    """Citizens read German words, not Python's True/False."""
    assert display(True) == "Ja"
    assert display(False) == "Nein"


def test_zero_is_a_value():
    """0 (e.g. 0 % or a baseline of 0) must be shown, not swallowed as empty."""
    assert display(0) == "0"
    assert display(0.0) == "0"


def test_whole_floats_lose_their_decimals():
    """Numeric bones store floats; "5.0" for a weight of 5 looks like a glitch."""
    assert display(5.0) == "5"
    assert display(12.5) == "12.5"
    assert display(7) == "7"


def test_dates_in_german_format():
    """Dates in the history use the same dd.mm.yyyy as the rest of the portal."""
    assert display(datetime.date(2024, 3, 9)) == "09.03.2024"


def test_datetimes_show_the_day_in_berlin():
    """Stored datetimes are UTC; the history must show the Dortmund calendar day, not the UTC one."""
    assert display(datetime.datetime(2024, 6, 30, 22, 30, tzinfo=UTC)) == "01.07.2024"
    assert display(datetime.datetime(2024, 1, 31, 12, 0, tzinfo=UTC)) == "31.01.2024"
    assert display(datetime.datetime(2024, 1, 31, 23, 59)) == "31.01.2024"


def test_choice_values_show_their_labels():
    """A status change reads "Geplant → In Umsetzung", not "planned → in_progress"."""
    assert display("in_progress", STATUS_LABELS) == "In Umsetzung"
    assert display("unknown", STATUS_LABELS) == "unknown"
    assert display("in_progress") == "in_progress"


def test_lists_are_joined_without_empty_items():
    """Multiple values (e.g. several goals or labels) show as one comma-separated line."""
    assert display(["planned", None, "", "completed"], STATUS_LABELS) == "Geplant, Abgeschlossen"
    assert display((1.0, 2.5)) == "1, 2.5"


def test_relations_show_the_target_name():
    """A relational value shows the name of what it points to, never a datastore key."""
    assert display({"dest": {"key": "ahFk", "name": "Digitales Bürgeramt"}, "rel": None}) == "Digitales Bürgeramt"
    assert display({"dest": {"key": "ahFk"}, "rel": None}) == ""
    assert display({"dest": None, "rel": None}) == ""
    relations = [{"dest": {"name": "Ziel A"}, "rel": None}, {"dest": {"name": "Ziel B"}, "rel": None}]
    assert display(relations) == "Ziel A, Ziel B"


def test_principle_records_show_state_and_evidence():
    """A principle check shows its state and evidence, so the history proves what was claimed when."""
    record = {"state": "fulfilled", "evidence_url": "https://example.org/dsfa.pdf", "note": "", "licence": None}
    labels = {"fulfilled": "Erfüllt"}
    assert display(record, labels) == "Erfüllt – https://example.org/dsfa.pdf"
    assert display({"state": "open"}) == "open"


def test_other_records_show_key_value_pairs():
    """Unknown structured values stay readable and skip empty fields."""
    assert display({"a": 1.0, "b": None, "c": "", "d": True}) == "a: 1, d: Ja"


def test_html_is_reduced_to_text():
    """Text bones hold HTML; the history shows its text, with entities decoded and whitespace collapsed."""
    assert display("<p>Hallo&nbsp;<b>Welt</b></p>\n<p>&amp; mehr</p>") == "Hallo Welt & mehr"


def test_long_text_is_cut_to_the_limit():
    """A whole rewritten description must not flood the history; it is cut with an ellipsis."""
    text = "x" * (MAX_TEXT + 50)
    shown = display(text)
    assert len(shown) == MAX_TEXT
    assert shown.endswith("…")
    assert display("y" * MAX_TEXT) == "y" * MAX_TEXT


# ------------------------------------------------------------------------------
# diff
#


def test_new_entity_lists_all_non_empty_values():
    """On creation the history shows what the entity started with, from empty."""
    new = {"name": "Portal", "status": "Geplant", "description": ""}
    labels = {"name": "Name", "status": "Status"}
    assert diff(None, new, labels) == [
        {"bone": "name", "label": "Name", "old": "", "new": "Portal"},
        {"bone": "status", "label": "Status", "old": "", "new": "Geplant"},
    ]


def test_edit_lists_only_changed_bones():
    """An edit entry must not repeat every unchanged field; only old → new of what actually changed."""
    old = {"name": "Portal", "status": "Geplant", "weight": "1"}
    new = {"name": "Portal", "status": "In Umsetzung", "weight": "1"}
    assert diff(old, new, {"status": "Status"}) == [
        {"bone": "status", "label": "Status", "old": "Geplant", "new": "In Umsetzung"}
    ]


def test_edit_without_changes_is_empty():
    """Saving unchanged writes no history entry (the caller skips an empty diff)."""
    values = {"name": "Portal", "status": "Geplant"}
    assert diff(dict(values), dict(values)) == []


def test_clearing_a_value_is_a_change():
    """Removing a value (e.g. an end date) is a change citizens should see."""
    assert diff({"planned_end": "01.03.2024"}, {"planned_end": ""}) == [
        {"bone": "planned_end", "label": "planned_end", "old": "01.03.2024", "new": ""}
    ]


def test_bone_new_to_the_skeleton_counts_from_empty():
    """A bone added in a later version has no old value; filling it is shown as "→ value", empty stays silent."""
    assert diff({}, {"note": "neu", "other": ""}) == [{"bone": "note", "label": "note", "old": "", "new": "neu"}]


def test_label_falls_back_to_the_bone_name():
    """Without a translated label the bone name still identifies the field."""
    assert diff({"x": "1"}, {"x": "2"}, None) == [{"bone": "x", "label": "x", "old": "1", "new": "2"}]
