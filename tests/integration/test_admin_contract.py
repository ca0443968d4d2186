"""The vi-admin's JSON contract: what the admin SPA calls, answered for every module."""

import pytest

MODULES = ["department", "programme", "goal", "measure", "milestone", "kpi", "reading", "change", "user"]


def test_vi_config_lists_every_module_with_admin_info(client, login_as):
    """The admin builds its menu from /vi/config; every domain module must be there with a group."""
    assert "modules" not in client.json("/vi/config"), "anonymous visitors get the settings only"
    config = login_as("root").json("/vi/config")
    for name in MODULES:
        assert name in config["modules"], name
    assert config["modules"]["measure"]["moduleGroup"] == "roadmap"
    assert config["configuration"]["admin.module.groups"]["roadmap"]["name"] == "Roadmap"


@pytest.mark.parametrize("module", MODULES)
def test_structure_endpoints_answer_for_staff(login_as, module):
    """The admin asks for each module's structure in two ways; both must describe the bones."""
    session = login_as("root")
    structure = session.json(f"/vi/{module}/structure")
    assert "structure" in structure
    legacy = session.json(f"/vi/getStructure/{module}")
    assert legacy


def test_login_then_list_view_add_edit_with_skey(login_as):
    """A full admin round trip on a department: add, list, view and edit through /vi with skeys."""
    session = login_as("root")
    status, body = session.post_json(
        "/vi/department/add", {"name": "Amt für Tests", "short_code": "T1", "level": "fachbereich"}
    )
    assert status == 200 and body["action"] == "addSuccess", body
    key = body["values"]["key"]
    listing = session.json("/vi/department/list")
    assert [skel["name"] for skel in listing["skellist"]] == ["Amt für Tests"]
    view = session.json(f"/vi/department/view/{key}")
    assert view["values"]["short_code"] == "T1"
    status, body = session.post_json(f"/vi/department/edit/{key}", {"name": "Amt für Prüfungen"})
    assert status == 200 and body["action"] == "editSuccess", body
    assert session.json(f"/vi/department/view/{key}")["values"]["name"] == "Amt für Prüfungen"


def test_post_without_skey_is_refused(login_as):
    """CSRF: every write needs a one-time security key."""
    session = login_as("root")
    response = session.post("/vi/department/add", {"name": "X", "short_code": "X"}, with_skey=False)
    assert response.status_code == 412
