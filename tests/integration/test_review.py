"""
Editors' changes to published entries wait for the CIIO office (issue 12, "editors never publish").

An editor's save of a published measure (or of a milestone or KPI of a published measure) is stored as a pending
revision with its diff; the public page stays as it was until the CIIO office accepts it (then exactly the
proposed fields are written) or rejects it. Fields a city lets go live at once (``conf.fahrplan.review_live_fields``,
by default a milestone's state and date reached and every KPI reading) are saved directly.
"""

import json

import pytest

from tests.support import roadmap as rm

ACCEPT = {"decision": "accepted"}


def revisions_of(key) -> list[dict]:
    from viur.core import db

    entries = db.Query("fahrplan_revision").filter("target_key =", rm.urlsafe(key)).iter()
    return sorted(entries, key=lambda entry: entry["creationdate"])


def revisions_added_to(measure_key) -> list[dict]:
    from viur.core import db

    entries = db.Query("fahrplan_revision").filter("parent_key =", rm.urlsafe(measure_key)).iter()
    return sorted(entries, key=lambda entry: entry["creationdate"])


def milestone_form(measure, name: str) -> dict[str, str]:
    """The admin's form values of a new milestone of ``measure``."""
    return {"measure": rm.urlsafe(measure), "name": name, "planned_date": "2031-01-01", "state": "open", "weight": "1"}


def fresh_branch(world) -> rm.Branch:
    r = world.roadmap
    return rm.add_branch(r.dept_a, r.programme, r.subgoal)


def propose(world, module: str, key, values: dict, role: str = "editor_a") -> dict:
    status, body = world.sessions[role].post_json(f"/json/{module}/edit/{rm.urlsafe(key)}", values)
    assert status == 200, (status, body)
    assert body["action"] == "edit", body
    assert body.get("pending_revision"), body
    assert "CIIO" in body["descr"], body
    return body


def decide(world, revision: str, values: dict, role: str = "ciio") -> tuple[int, dict]:
    return world.sessions[role].post_json(f"/json/revision/edit/{revision}", values)


def test_editor_rename_of_a_published_measure_waits_for_the_ciio_office(world):
    branch = fresh_branch(world)
    before = rm.stored(branch.measure)
    body = propose(world, "measure", branch.measure, {"name": "Umbenannt durch Amt A", "change_reason": "Neuer Titel"})
    stored = rm.stored(branch.measure)
    assert stored["name"] == before["name"] and stored["version"] == before["version"], "changed live"
    public = world.sessions["anonymous"].get(f"/massnahme/{rm.urlsafe(branch.measure)}")
    assert before["name"] in public.text and "Umbenannt durch Amt A" not in public.text
    (revision,) = revisions_of(branch.measure)
    assert revision["state"] == "pending" and rm.urlsafe(revision.key) == body["pending_revision"]
    assert revision["summary"] == "Neuer Titel"
    (change,) = json.loads(revision["changes"])
    assert change["bone"] == "name" and change["old"] == before["name"] and change["new"] == "Umbenannt durch Amt A"
    staff = world.sessions["ciio"].json("/json/revision/list", state="pending")
    assert rm.urlsafe(revision.key) in {skel["key"] for skel in staff["skellist"]}


def test_accepting_writes_exactly_the_proposed_fields(world):
    branch = fresh_branch(world)
    body = propose(world, "measure", branch.measure, {"name": "Angenommener Titel", "change_reason": "Titel"})
    rm.update(branch.measure, summary="Zwischendurch vom CIIO-Büro geändert")  # a later change of another field
    status, answer = decide(world, body["pending_revision"], ACCEPT | {"note": "Passt."})
    assert status == 200 and answer["action"] == "editSuccess", (status, answer)
    stored = rm.stored(branch.measure)
    assert stored["name"] == "Angenommener Titel"
    assert stored["summary"] == "Zwischendurch vom CIIO-Büro geändert", "accepting wrote back fields not proposed"
    (revision,) = revisions_of(branch.measure)
    assert revision["state"] == "accepted" and revision["note"] == "Passt." and revision["decided_by"]
    (entry,) = [entry for entry in rm.changes_of(branch.measure) if "Angenommener Titel" in entry["changes"]]
    assert entry["reason"].startswith("Titel") and "vorgeschlagen von" in entry["reason"], entry["reason"]
    assert world.sessions["anonymous"].get(f"/massnahme/{rm.urlsafe(branch.measure)}").text.count("Angenommener Titel")


def test_saving_again_replaces_the_editors_pending_proposal(world):
    branch = fresh_branch(world)
    first = propose(world, "measure", branch.measure, {"name": "Erster Vorschlag"})
    second = propose(world, "measure", branch.measure, {"name": "Zweiter Vorschlag"})
    assert first["pending_revision"] == second["pending_revision"]
    (revision,) = revisions_of(branch.measure)
    assert "Zweiter Vorschlag" in revision["changes"] and "Erster Vorschlag" not in revision["changes"]


def test_rejecting_leaves_the_entry_as_it_was(world):
    branch = fresh_branch(world)
    before = rm.stored(branch.measure)
    body = propose(world, "measure", branch.measure, {"progress_override": "95"})
    status, answer = decide(world, body["pending_revision"], {"decision": "rejected", "note": "Nicht belegt."})
    assert status == 200 and answer["action"] == "editSuccess", (status, answer)
    assert rm.stored(branch.measure)["progress_override"] == before.get("progress_override")
    (revision,) = revisions_of(branch.measure)
    assert revision["state"] == "rejected" and revision["note"] == "Nicht belegt."
    status, _ = decide(world, body["pending_revision"], ACCEPT)
    assert status in (401, 403), "a decided revision was decided again"
    assert rm.stored(branch.measure)["progress_override"] == before.get("progress_override")


def test_drafts_and_the_ciio_office_save_at_once(world):
    key = rm.add_measure(world.roadmap.dept_a, world.roadmap.programme, world.roadmap.subgoal, "draft")
    status, body = world.sessions["editor_a"].post_json(
        f"/json/measure/edit/{rm.urlsafe(key)}", {"name": "Entwurf neu"}
    )
    assert status == 200 and body["action"] == "editSuccess", body
    assert rm.stored(key)["name"] == "Entwurf neu" and not revisions_of(key)
    branch = fresh_branch(world)
    status, body = world.sessions["ciio"].post_json(
        f"/json/measure/edit/{rm.urlsafe(branch.measure)}", {"name": "Vom CIIO-Büro"}
    )
    assert status == 200 and body["action"] == "editSuccess", body
    assert rm.stored(branch.measure)["name"] == "Vom CIIO-Büro" and not revisions_of(branch.measure)


def test_milestone_reached_goes_live_but_a_new_title_waits(world):
    branch = fresh_branch(world)
    session = world.sessions["editor_a"]
    status, body = session.post_json(
        f"/json/milestone/edit/{rm.urlsafe(branch.milestone)}",
        {"state": "done", "actual_date": "2025-03-01", "change_reason": "Erreicht"},
    )
    assert status == 200 and body["action"] == "editSuccess", body
    assert rm.stored(branch.milestone)["state"] == "done" and not revisions_of(branch.milestone)
    propose(world, "milestone", branch.milestone, {"name": "Neuer Name des Zwischenziels"})
    assert rm.stored(branch.milestone)["name"] != "Neuer Name des Zwischenziels"
    assert [revision["state"] for revision in revisions_of(branch.milestone)] == ["pending"]


def test_a_city_chooses_the_fields_that_go_live(world, monkeypatch):
    from viur.core import conf

    monkeypatch.setitem(conf.fahrplan.review_live_fields, "milestone", ("name",))
    branch = fresh_branch(world)
    status, body = world.sessions["editor_a"].post_json(
        f"/json/milestone/edit/{rm.urlsafe(branch.milestone)}", {"name": "Sofort sichtbar"}
    )
    assert status == 200 and body["action"] == "editSuccess", body
    assert rm.stored(branch.milestone)["name"] == "Sofort sichtbar"


def test_a_new_milestone_of_a_published_measure_waits_and_is_created_on_accept(world):
    branch = fresh_branch(world)
    before = rm.count("milestone")
    payload = milestone_form(branch.measure, "Vorgeschlagenes Zwischenziel")
    status, body = world.sessions["editor_a"].post_json("/json/milestone/add", payload)
    assert status == 200 and body["action"] == "add" and body.get("pending_revision"), body
    assert rm.count("milestone") == before
    (revision,) = revisions_added_to(branch.measure)
    assert revision["action"] == "add" and revision["entity_name"] == "Vorgeschlagenes Zwischenziel"
    status, answer = decide(world, body["pending_revision"], ACCEPT)
    assert status == 200 and answer["action"] == "editSuccess", (status, answer)
    assert rm.count("milestone") == before + 1
    from viur.core import db

    created = db.Query("milestone").filter("name =", "Vorgeschlagenes Zwischenziel").getEntry()
    assert created and created["is_public"] is True


def test_a_clone_into_a_published_measure_waits_like_an_add(world):
    branch = fresh_branch(world)
    before = rm.count("milestone")
    payload = milestone_form(branch.measure, "Geklontes Zwischenziel")
    status, body = world.sessions["editor_a"].post_json(
        f"/json/milestone/clone/{rm.urlsafe(branch.milestone)}", payload
    )
    assert status == 200 and body["action"] == "clone" and body.get("pending_revision"), (status, body)
    assert rm.count("milestone") == before
    status, answer = decide(world, body["pending_revision"], ACCEPT)
    assert status == 200 and answer["action"] == "editSuccess", (status, answer)
    assert rm.count("milestone") == before + 1


def test_readings_go_live_at_once(world):
    branch = fresh_branch(world)
    before = rm.count("reading")
    payload = {"kpi": rm.urlsafe(branch.kpi), "date": "2025-06-01", "value": "4"}
    status, body = world.sessions["editor_a"].post_json("/json/reading/add", payload)
    assert status == 200 and body["action"] == "addSuccess", body
    assert rm.count("reading") == before + 1


@pytest.mark.parametrize("role", ["editor_b", "anonymous"])
def test_revisions_are_staff_only(world, role):
    branch = fresh_branch(world)
    body = propose(world, "measure", branch.measure, {"name": "Nur für das Personal"})
    response = world.sessions[role].get("/json/revision/list")
    assert "Nur für das Personal" not in response.text
    response = world.sessions[role].get(f"/json/revision/view/{body['pending_revision']}")
    assert response.status_code in (401, 403, 404) and "Nur für das Personal" not in response.text


def test_editors_see_their_own_proposals_but_never_decide(world):
    branch = fresh_branch(world)
    body = propose(world, "measure", branch.measure, {"name": "Meine Vorlage"})
    listed = world.sessions["editor_a"].json("/json/revision/list")
    assert body["pending_revision"] in {skel["key"] for skel in listed["skellist"]}
    committee = world.sessions["committee"].json("/json/revision/list")
    assert body["pending_revision"] in {skel["key"] for skel in committee["skellist"]}
    for role in ("editor_a", "committee"):
        status, _ = decide(world, body["pending_revision"], ACCEPT, role=role)
        assert status in (401, 403), role
    assert rm.stored(branch.measure)["name"] != "Meine Vorlage"
    assert revisions_of(branch.measure)[0]["state"] == "pending"
