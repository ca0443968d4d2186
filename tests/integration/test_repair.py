"""
The one-off repair of the zeros vi-admin's empty number fields left in measures (``python -m tools.manage
repair-zeros``): a dry run writes nothing; applying clears exactly the zeros the bug wrote, keeps genuine zeros,
writes no history and refreshes the roll-ups.
"""

import pytest

from fahrplan.services import repair
from tests.support import roadmap as rm
from tools import manage

NUMBERS = repair.ZERO_BONES


@pytest.fixture(scope="module")
def measures(world):
    """A measure saved with the bug, one with genuine zeros, and one whose 0 has no history at all."""
    from viur.core import db

    r = world.roadmap
    bug = rm.add_measure(r.dept_a, r.programme, r.subgoal, **dict.fromkeys(NUMBERS, 0))

    genuine = rm.add_measure(r.dept_a, r.programme, r.subgoal, progress_override=40, budget_planned=1200.0)
    rm.update(genuine, progress_override=0, budget_planned=0.0, weight=0.0)

    untracked = rm.add_measure(r.dept_b, r.programme, r.subgoal, budget_planned=800.0)
    entity = db.get(untracked)
    entity["budget_spent"] = 0.0
    db.put(entity)
    return {"bug": bug, "genuine": genuine, "untracked": untracked}


def test_the_fixture_reproduces_the_bug(measures):
    """The bug's measure shows a manual 0 % (what the public page showed) before the repair."""
    stored = rm.stored(measures["bug"])
    assert stored["progress_source"] == "manual" and stored["progress"] == 0.0
    assert {bone: stored[bone] for bone in NUMBERS} == dict.fromkeys(NUMBERS, 0)


def test_dry_run_reports_and_writes_nothing(measures, capsys):
    """``repair-zeros --dry-run`` names each measure and bone it would clear, and leaves every entity as it was."""
    before = {name: rm.stored(key) for name, key in measures.items()}
    changes_before = rm.count("change")
    assert manage.main(["repair-zeros", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert {name: rm.stored(key) for name, key in measures.items()} == before
    assert rm.count("change") == changes_before
    assert rm.urlsafe(measures["bug"]) in out and rm.urlsafe(measures["untracked"]) in out
    assert rm.urlsafe(measures["genuine"]) not in out
    assert "latitude 0 → leer (Koordinaten 0, 0)" in out
    assert "budget_spent 0 → leer (nie eingetragen)" in out
    assert "dry run: 2 measures would be repaired; nothing written" in out


def test_apply_clears_exactly_the_bug_zeros(measures):
    """Applying clears the bug's zeros, keeps genuine ones, adds no history and re-derives progress and sums."""
    genuine_before = rm.stored(measures["genuine"])
    changes_before = rm.count("change")
    assert manage.repair_zeros(dry_run=False)[-1] == "repaired: 2 measures"

    bug = rm.stored(measures["bug"])
    assert {bone: bug[bone] for bone in NUMBERS} == dict.fromkeys(NUMBERS)
    assert bug["progress_source"] == "status" and bug["progress"] > 0, "the roll-up is refreshed"
    assert rm.stored(measures["untracked"])["budget_spent"] is None
    assert rm.stored(measures["untracked"])["budget_planned"] == 800.0

    genuine = rm.stored(measures["genuine"])
    assert genuine == genuine_before, "zeros entered over a value (and weight 0) stay"
    assert (genuine["progress_override"], genuine["budget_planned"], genuine["weight"]) == (0, 0.0, 0.0)
    assert rm.count("change") == changes_before, "the repair writes no history"

    assert repair.zero_repairs() == [], "a second run finds nothing"
