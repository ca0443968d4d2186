"""History with reasons over HTTP: status, dates and KPI targets change only with a reason, and every change is kept."""

import pytest

from tests.support import roadmap as rm


def history(session, key) -> list[dict]:
    """The history entries about ``key`` as the change module lists them, oldest first."""
    body = session.json("/json/change/list", entity_key=rm.urlsafe(key), amount="99")
    # creationdate has whole seconds: entries of the same second come in no fixed order (tests find them by content)
    return sorted(body["skellist"], key=lambda entry: entry["creationdate"])


def change(entry: dict, bone: str) -> dict:
    return next(item for item in entry["changes"] if item["bone"] == bone)


def test_status_and_date_changes_need_a_reason_and_are_kept(world):
    editor, reader = world.sessions["editor_a"], world.sessions["committee"]
    # A draft: an editor's change of a published measure waits for review (test_review.py) and is not written here.
    key = rm.add_measure(world.roadmap.dept_a, world.roadmap.programme, world.roadmap.subgoal, "draft")
    path = f"/json/measure/edit/{rm.urlsafe(key)}"
    before = rm.stored(key)

    for values in (
        {"status": "in_progress"},
        {"planned_end": "2027-12-31"},
        {"status": "delayed", "change_reason": " "},
    ):
        status, body = editor.post_json(path, values)
        assert status == 200 and body["action"] == "edit", body
        assert "change_reason" in {error["fieldPath"][0] for error in body["errors"]}, body["errors"]
        assert rm.stored(key) == before, values

    status, body = editor.post_json(path, {"status": "in_progress", "change_reason": "Auftrag vergeben"})
    assert status == 200 and body["action"] == "editSuccess", body.get("errors")
    assert rm.stored(key)["status"] == "in_progress"
    (first,) = [entry for entry in history(reader, key) if entry["action"] == "edited"]
    assert first["reason"] == "Auftrag vergeben"
    assert first["user_name"].startswith("editor-")
    assert first["creationdate"]
    assert change(first, "status") | {"label": None} == {
        "bone": "status",
        "label": None,
        "old": "Geplant",
        "new": "In Umsetzung",
    }

    status, body = editor.post_json(path, {"planned_end": "2027-12-31", "change_reason": "Lieferverzug"})
    assert status == 200 and body["action"] == "editSuccess", body.get("errors")
    entries = {entry["reason"]: entry for entry in history(reader, key)}
    assert entries["Auftrag vergeben"]["key"] == first["key"], "the first entry is kept as it was"
    assert change(entries["Auftrag vergeben"], "status")["new"] == "In Umsetzung"
    assert change(entries["Lieferverzug"], "planned_end")["new"] == "31.12.2027"
    assert rm.stored(key).get("change_reason") in (None, ""), "a reason belongs to the history, not the entity"


def test_kpi_target_change_needs_a_reason(world):
    editor = world.sessions["editor_a"]
    key = world.draft("kpi")  # the KPI of a draft measure: editors' changes are written at once
    path = f"/json/kpi/edit/{rm.urlsafe(key)}"
    before = rm.stored(key)
    status, body = editor.post_json(path, {"target_value": "95"})
    assert status == 200 and "change_reason" in {error["fieldPath"][0] for error in body["errors"]}
    assert rm.stored(key) == before
    status, body = editor.post_json(path, {"target_value": "95", "change_reason": "Ratsbeschluss"})
    assert status == 200 and body["action"] == "editSuccess", body.get("errors")
    entry = history(world.sessions["committee"], key)[-1]
    assert entry["reason"] == "Ratsbeschluss"
    assert (change(entry, "target_value")["old"], change(entry, "target_value")["new"]) == ("90", "95")


def test_anonymous_sees_history_of_published_measures_only(world):
    root, anonymous = world.sessions["root"], world.sessions["anonymous"]
    draft, published = world.draft("measure"), world.roadmap.b.measure
    for key in (draft, published):
        status, body = root.post_json(
            f"/json/measure/edit/{rm.urlsafe(key)}", {"status": "in_progress", "change_reason": "Start"}
        )
        assert status == 200 and body["action"] == "editSuccess", body.get("errors")
    assert history(anonymous, draft) == []
    assert history(root, draft)[-1]["reason"] == "Start"
    public = history(anonymous, published)
    assert public[-1]["reason"] == "Start"
    assert all("user_name" not in entry for entry in public)


@pytest.mark.parametrize("render", ["json", "vi"])
def test_change_list_json_escapes_old_and_new_values(world, render):
    """Markup in a title reaches the change list's JSON escaped, like every other string in the JSON renders."""
    session = world.sessions["root"]
    key = rm.urlsafe(world.draft("measure"))
    status, body = session.post_json(f"/json/measure/edit/{key}", {"name": "<script>alert(1)</script> E-Akte"})
    assert status == 200 and body["action"] == "editSuccess", str(body)[:300]
    text = session.get(f"/{render}/change/list", measure_key=key, limit="5").text
    assert "&lt;script&gt;alert" in text and "<script>" not in text, text[:500]


def test_one_save_writes_one_history_entry(world):
    """
    A save that changes public and internal fields of a published measure is one history entry: the public
    reads its public changes, staff also the internal ones (it was two entries, one of them internal only).
    """
    root, anonymous = world.sessions["root"], world.sessions["anonymous"]
    key = world.roadmap.b.measure
    before = len(rm.changes_of(key))
    status, body = root.post_json(
        f"/vi/measure/edit/{rm.urlsafe(key)}",
        {"status_note": "Ausschreibung läuft", "progress_override": "30", "responsible": "Max Intern"},
    )
    assert status == 200 and body["action"] == "editSuccess", str(body)[:400]
    assert len(rm.changes_of(key)) == before + 1
    (staff,) = [entry for entry in history(root, key) if "Ausschreibung läuft" in str(entry["changes"])]
    assert [item["bone"] for item in staff["changes"]] == ["status_note"]
    assert {item["bone"] for item in staff["internal_changes"]} == {"progress_override", "responsible"}
    (public,) = [entry for entry in history(anonymous, key) if entry["key"] == staff["key"]]
    assert [item["bone"] for item in public["changes"]] == ["status_note"]
    assert "internal_changes" not in public


def test_internal_only_save_is_one_internal_entry(world):
    """A save of internal fields only is one entry that the public never lists."""
    root, anonymous = world.sessions["root"], world.sessions["anonymous"]
    key = world.roadmap.b.measure
    before = len(rm.changes_of(key))
    status, body = root.post_json(f"/vi/measure/edit/{rm.urlsafe(key)}", {"responsible": "Mia Intern"})
    assert status == 200 and body["action"] == "editSuccess", str(body)[:400]
    entries = rm.changes_of(key)
    assert len(entries) == before + 1, [(entry["changes"], entry["internal_changes"]) for entry in entries]
    (entry,) = [entry for entry in entries if "Mia Intern" in str(entry.get("internal_changes") or "")]
    assert entry["is_public"] is False  # (creationdate has whole seconds: the newest entry is found by content)
    assert rm.urlsafe(entry.key) not in {listed["key"] for listed in history(anonymous, key)}


def test_admin_save_of_unchanged_form_writes_no_entry(world):
    """vi-admin posts the whole form, empty numbers as null: when nothing changed, nothing is recorded."""
    r = world.roadmap
    key = rm.add_measure(r.dept_b, r.programme, r.subgoal)
    before = len(rm.changes_of(key))
    status, body = world.sessions["root"].post_json(
        f"/vi/measure/edit/{rm.urlsafe(key)}",
        dict.fromkeys(("progress_override", "budget_planned", "budget_spent", "latitude", "longitude"), "null"),
    )
    assert status == 200 and body["action"] == "editSuccess", str(body)[:400]
    assert len(rm.changes_of(key)) == before


def test_readings_have_a_readable_title(world):
    """A reading's history entry names its KPI, date and value (it showed as ``kpi_reading/<id>``)."""
    kpi = rm.add_kpi(world.roadmap.b.measure, name="Online-Anträge", unit="%")
    reading = rm.add_reading(kpi, value=42.5)
    entry = rm.changes_of(reading)[-1]
    assert entry["entity_name"] == "Online-Anträge: 01.01.2025 – 42.5 %"
    rm.update(reading, value=43)
    edited = [entry for entry in rm.changes_of(reading) if entry["action"] == "edited"]
    assert [entry["entity_name"] for entry in edited] == ["Online-Anträge: 01.01.2025 – 43 %"]
