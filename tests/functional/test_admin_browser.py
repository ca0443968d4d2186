"""
The real ViUR admin (vi-admin) in headless Chromium against the run command: what staff do must work there,
not only in the JSON contract.

The admin is a prebuilt bundle that is never committed (README, "The ViUR admin"): it is taken from
``FAHRPLAN_ADMIN_DIR`` or ``../shared/vi-admin`` and linked to ``deploy/admin`` for these tests. Without one
they are skipped, unless ``FAHRPLAN_REQUIRE_ADMIN_TESTS=1`` (set by ``.ci/run`` whenever the build is there).
"""

import os
import secrets
import typing as t
from pathlib import Path

import pytest

from tests.functional.browser import ROOT, AdminSession, chromium, site  # noqa: F401  # fixtures

pytestmark = pytest.mark.functional

LINK = ROOT / "deploy" / "admin"


def admin_build() -> Path | None:
    for candidate in (os.environ.get("FAHRPLAN_ADMIN_DIR"), ROOT.parent / "shared" / "vi-admin"):
        if candidate and (Path(candidate) / "main.html").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def admin(site) -> t.Iterator[str]:  # noqa: F811
    """The admin served at ``/vi/s`` of the site (deploy/admin linked to the build while the tests run)."""
    build = admin_build()
    if build is None:
        if os.environ.get("FAHRPLAN_REQUIRE_ADMIN_TESTS") == "1":
            pytest.fail("no vi-admin build: set FAHRPLAN_ADMIN_DIR to a vi-admin 4.14 build (see README)")
        pytest.skip("no vi-admin build (FAHRPLAN_ADMIN_DIR or ../shared/vi-admin)")
    created = not LINK.exists()
    if created:
        LINK.symlink_to(build)
    try:
        yield site.url
    finally:
        if created and LINK.is_symlink():
            LINK.unlink()


def logged_in_context(chromium, site, login: tuple[str, str] | None = None) -> t.Any:  # noqa: F811
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    skey = context.request.get(f"{site.url}/json/skey").json()
    name, password = login or site.login
    answer = context.request.post(
        f"{site.url}/vi/user/auth_userpassword/login", form={"name": name, "password": password, "skey": skey}
    ).json()
    assert answer["action"] == "login_success", answer
    return context


def open_edit(context, base: str, module: str, key: str) -> t.Any:
    page = context.new_page()
    page.goto(f"{base}/vi/s/main.html#/db/{module}/edit/{key}")
    page.locator("textarea:visible").first.wait_for(timeout=30000)
    page.wait_for_timeout(1500)  # the form fills its values after the structure
    return page


def save(page, module: str = "measure", field: str = "summary") -> str:
    """Click "Speichern"; returns the action the server answered (editSuccess, edit, …)."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and f"/vi/{module}/edit/" in r.url and field in (r.request.post_data or "")
    ) as answer:
        page.locator("sl-button", has_text="Speichern").first.click()
    return answer.value.json()["action"]


def open_form(context, base: str, module: str, key: str) -> t.Any:
    """The admin's edit form of ``module``/``key``, filled (waits for its first editable text field)."""
    page = context.new_page()
    page.goto(f"{base}/vi/s/main.html#/db/{module}/edit/{key}")
    text_fields(page).first.wait_for(timeout=30000)
    page.wait_for_timeout(1500)  # the form fills its values after the structure
    return page


def text_fields(page) -> t.Any:
    """The editable one-line text fields of the open form, in the skeleton's bone order."""
    return page.locator("sl-input.widget-bone-string:not([disabled])")


def test_a_save_over_a_newer_version_is_refused_with_a_message_in_the_admin(admin, site, chromium):  # noqa: F811
    """
    Two staff members open the same measure; the first saves; the second's save is refused with the message
    who changed it and when, and the first one's text stays. Saving again in the first tab still works (the
    admin takes the new version from the answer).
    """
    first, second = logged_in_context(chromium, site), logged_in_context(chromium, site)
    try:
        listing = first.request.get(f"{admin}/vi/measure/list?limit=1").json()
        key = listing["skellist"][0]["key"]
        pages = [open_edit(context, admin, "measure", key) for context in (first, second)]
        for index, page in enumerate(pages):
            page.locator("textarea:visible").first.fill(f"Kurzbeschreibung aus Fenster {index + 1}")

        assert save(pages[0]) == "editSuccess"
        assert save(pages[1]) == "edit"
        pages[1].wait_for_timeout(1500)  # the admin shows the answer's reason and descr as a toast
        texts = [text for text in pages[1].locator("sl-alert").all_inner_texts() if "Zwischenzeitlich" in text]
        assert texts, pages[1].locator("sl-alert").all_inner_texts()
        text = texts[-1]
        assert "inzwischen von" in text and site.login[0] in text and "nicht gespeichert" in text, text
        pages[1].screenshot(path=str(ROOT / ".artifacts" / "admin-changed-meanwhile.png"))
        stored = first.request.get(f"{admin}/vi/measure/view/{key}").json()["values"]
        assert stored["summary"] == "Kurzbeschreibung aus Fenster 1"

        pages[0].locator("textarea:visible").first.fill("Zweite Fassung aus Fenster 1")
        assert save(pages[0]) == "editSuccess"
        assert first.request.get(f"{admin}/vi/measure/view/{key}").json()["values"]["summary"] == (
            "Zweite Fassung aus Fenster 1"
        )
    finally:
        first.close()
        second.close()


def test_saving_a_measure_in_the_admin_keeps_empty_numbers_empty(admin, site, chromium):  # noqa: F811
    """The admin posts empty number fields as ``null``: a save keeps them empty (no budget 0 €, no 0 %)."""
    context = logged_in_context(chromium, site)
    try:
        key = context.request.get(f"{admin}/vi/measure/list?limit=1").json()["skellist"][0]["key"]
        page = open_edit(context, admin, "measure", key)
        page.locator("textarea:visible").first.fill("Gespeichert im Admin")
        assert save(page) == "editSuccess"
        values = context.request.get(f"{admin}/vi/measure/view/{key}").json()["values"]
        assert values["summary"] == "Gespeichert im Admin"
        assert values["budget_planned"] is None and values["progress_override"] is None, values
    finally:
        context.close()


DEEP_VALUES = """() => {
    const values = [];
    const walk = (root) => root.querySelectorAll('*').forEach((node) => {
        if (typeof node.value === 'string' && node.value) values.push(node.value);
        if (node.shadowRoot) walk(node.shadowRoot);
    });
    walk(document);
    return values;
}"""
"""Every form value on the page, shadow DOMs included (the admin's read-only fields are inputs)."""

EDITOR_PASSWORD = "Browser-Test-Passwort-2026!"


def editor_of(site, measure: dict) -> tuple[str, str]:  # noqa: F811
    """A new department editor (entered by root) bound to the lead department of ``measure``."""
    name = f"editor-{secrets.token_hex(4)}@dortmund.example"
    AdminSession(site.url, *site.login).add(
        "user",
        name=name,
        password=EDITOR_PASSWORD,
        roles="editor",
        departments=measure["lead_department"]["dest"]["key"],
        status="10",
        firstname="Erika",
        lastname="Redaktion",
    )
    return name, EDITOR_PASSWORD


def test_an_editors_save_of_a_published_measure_waits_for_the_ciio_office(admin, site, chromium):  # noqa: F811
    """
    A department editor saves a published measure in the admin: the admin shows "Zur Freigabe vorgelegt", the
    stored measure (and so the public page) is unchanged; root opens the revision in the module "Freigaben",
    chooses "Annehmen" and saves: then the measure holds the editor's text.
    """
    root = logged_in_context(chromium, site)
    try:
        measure = root.request.get(f"{admin}/vi/measure/list?publication=published&limit=1").json()["skellist"][0]
        key, before = measure["key"], measure["summary"]
        editor = logged_in_context(chromium, site, editor_of(site, measure))
        page = open_edit(editor, admin, "measure", key)
        page.locator("textarea:visible").first.fill("Vorschlag der Redaktion aus dem Admin")
        assert save(page) == "edit"
        page.wait_for_timeout(1500)
        texts = [text for text in page.locator("sl-alert").all_inner_texts() if "Freigabe" in text]
        assert texts and "CIIO" in texts[-1], page.locator("sl-alert").all_inner_texts()
        page.screenshot(path=str(ROOT / ".artifacts" / "admin-pending-revision.png"))
        assert root.request.get(f"{admin}/vi/measure/view/{key}").json()["values"]["summary"] == before
        editor.close()

        pending = root.request.get(f"{admin}/vi/revision/list?state=pending").json()["skellist"]
        (revision,) = [entry for entry in pending if entry["entity_name"] == measure["name"]]
        page = root.new_page()
        page.goto(f"{admin}/vi/s/main.html#/db/revision/edit/{revision['key']}")
        decision = page.locator("sl-select:not([disabled])").first  # the one field staff set (others read-only)
        decision.wait_for(timeout=30000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ROOT / ".artifacts" / "admin-revision-form.png"), full_page=True)
        shown = page.evaluate(DEEP_VALUES)
        assert any("Vorschlag der Redaktion aus dem Admin" in value for value in shown), shown
        decision.click()
        page.locator("sl-option", has_text="Annehmen").first.click()
        page.screenshot(path=str(ROOT / ".artifacts" / "admin-revision-decision.png"))
        with page.expect_response(lambda r: r.request.method == "POST" and "/vi/revision/edit/" in r.url) as answer:
            page.locator("sl-button", has_text="Speichern").first.click()
        assert answer.value.json()["action"] == "editSuccess", answer.value.json().get("errors")
        stored = root.request.get(f"{admin}/vi/measure/view/{key}").json()["values"]
        assert stored["summary"] == "Vorschlag der Redaktion aus dem Admin"
        decided = root.request.get(f"{admin}/vi/revision/view/{revision['key']}").json()["values"]
        assert decided["state"] == "accepted" and decided["decided_by"], decided
    finally:
        root.close()


def first_key(context, admin: str, module: str, query: str = "") -> str:
    return context.request.get(f"{admin}/vi/{module}/list?limit=1{query}").json()["skellist"][0]["key"]


def view(context, admin: str, module: str, key: str) -> dict:
    return context.request.get(f"{admin}/vi/{module}/view/{key}").json()["values"]


def test_saving_a_milestone_in_the_admin_stores_it_and_keeps_empty_fields_empty(admin, site, chromium):  # noqa: F811
    """Root renames a milestone in the admin form: the name is stored, an empty date reached stays empty."""
    context = logged_in_context(chromium, site)
    try:
        key = first_key(context, admin, "milestone", "&state=open")
        before = view(context, admin, "milestone", key)
        page = open_form(context, admin, "milestone", key)
        text_fields(page).first.locator("input").fill("Im Admin umbenanntes Zwischenziel")
        assert save(page, "milestone", "name") == "editSuccess"
        stored = view(context, admin, "milestone", key)
        assert stored["name"] == "Im Admin umbenanntes Zwischenziel"
        assert stored["actual_date"] == before["actual_date"] and stored["weight"] == before["weight"], stored
        assert stored["version"] == before["version"] + 1
    finally:
        context.close()


def test_saving_a_kpi_reading_in_the_admin_keeps_its_value(admin, site, chromium):  # noqa: F811
    """Root adds a note to a KPI reading in the admin form: the note is stored, the value and date are kept."""
    context = logged_in_context(chromium, site)
    try:
        key = first_key(context, admin, "reading")
        before = view(context, admin, "reading", key)
        page = open_form(context, admin, "reading", key)
        text_fields(page).last.locator("input").fill("Nachgetragen im Admin")
        assert save(page, "reading", "value") == "editSuccess"
        stored = view(context, admin, "reading", key)
        assert "Nachgetragen im Admin" in (stored.get("note"), stored.get("source")), stored
        assert (stored["value"], stored["date"]) == (before["value"], before["date"]), stored
    finally:
        context.close()


def test_saving_a_user_in_the_admin_keeps_roles_departments_and_password(admin, site, chromium):  # noqa: F811
    """Root edits an editor's name in the admin form: roles, departments and the password stay as they were."""
    context = logged_in_context(chromium, site)
    try:
        measure = context.request.get(f"{admin}/vi/measure/list?publication=published&limit=1").json()["skellist"][0]
        login = editor_of(site, measure)
        key = context.request.get(f"{admin}/vi/user/list?name={login[0]}").json()["skellist"][0]["key"]
        before = view(context, admin, "user", key)
        page = open_form(context, admin, "user", key)
        fields = text_fields(page)
        assert fields.count() >= 1
        fields.first.locator("input").fill("Erika-Maria")
        assert save(page, "user", "name") == "editSuccess"
        stored = view(context, admin, "user", key)
        assert "Erika-Maria" in (stored["firstname"], stored["lastname"]), stored
        assert stored["roles"] == before["roles"] == ["editor"]
        assert [d["dest"]["key"] for d in stored["departments"]] == [d["dest"]["key"] for d in before["departments"]]
        logged_in_context(chromium, site, login).close()  # the password still works
    finally:
        context.close()
