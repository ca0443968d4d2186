"""What the real vi-admin posts: empty number fields as the string ``null``, a user form left at its defaults."""

import pytest

from tests.support import roadmap as rm

EMPTY_NUMBERS = ("progress_override", "budget_planned", "budget_spent", "latitude", "longitude")


@pytest.mark.parametrize("empty", ["null", "", "None", "undefined"])
@pytest.mark.parametrize("render", ["vi", "json"])
def test_empty_number_fields_store_no_value(world, render, empty):
    """An admin save with empty number fields stores "no value", never a 0 (manual 0 %, budget 0 €, lat 0)."""
    payload = rm.measure_payload(world, **dict.fromkeys(EMPTY_NUMBERS, empty))
    status, body = world.sessions["root"].post_json(f"/{render}/measure/add", payload)
    assert status == 200 and body["action"] == "addSuccess", (status, str(body)[:400])
    stored = rm.stored(body["values"]["key"])
    assert {bone: stored.get(bone) for bone in EMPTY_NUMBERS} == dict.fromkeys(EMPTY_NUMBERS)
    assert stored["progress_source"] != "manual"


def test_edit_with_null_keeps_no_value_and_zero_stays_a_value(world):
    """Editing as the admin does (every number posted, empty ones as null) keeps them empty; an entered 0 is 0."""
    session = world.sessions["root"]
    status, body = session.post_json("/vi/measure/add", rm.measure_payload(world, budget_planned="0"))
    key = body["values"]["key"]
    status, body = session.post_json(
        f"/vi/measure/edit/{key}",
        {**dict.fromkeys(EMPTY_NUMBERS, "null"), "budget_planned": "0", "name": "Umbenannt"},
    )
    assert status == 200 and body["action"] == "editSuccess", (status, str(body)[:400])
    stored = rm.stored(key)
    assert stored["budget_planned"] == 0
    assert stored["progress_override"] is None and stored["latitude"] is None


@pytest.mark.parametrize("value", ["1e309", "inf", "-inf", "nan", "zwölf"])
def test_non_finite_numbers_are_field_errors(world, value):
    """Oversize, infinite or non-numbers are a field error naming the bone, never HTTP 500 or a stored value."""
    before = rm.count("measure")
    status, body = world.sessions["root"].post_json(
        "/json/measure/add", rm.measure_payload(world, budget_planned=value)
    )
    assert status == 200 and body["action"] == "add", (status, str(body)[:300])
    assert "budget_planned" in {error["fieldPath"][0] for error in body["errors"] if error.get("fieldPath")}
    assert rm.count("measure") == before


def test_new_user_form_preselects_no_role(world):
    """The admin's add form for users starts without a role (viur-core preselects root)."""
    status, body = world.sessions["root"].post_json("/vi/user/add", {}, with_skey=False)
    assert body["values"]["roles"] in ([], None), body["values"]["roles"]
    structure = dict(body["structure"]) if isinstance(body["structure"], list) else body["structure"]
    assert structure["roles"]["defaultvalue"] in ([], None)
