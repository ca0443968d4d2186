"""Validation over HTTP: every rule answers with a field error naming the bone, and nothing is stored."""

import pytest

from tests.support import roadmap as rm

MADE_UP_KEY = "ag1mYWhycGxhbi10ZXN0chcLEgpkZXBhcnRtZW50GICAgICAgICAAQw"
"""A well-formed key of a department that does not exist."""


def error_bones(body: dict) -> set[str]:
    return {error["fieldPath"][0] for error in body.get("errors") or [] if error.get("fieldPath")}


def kpi_payload(w: rm.World, **values: str) -> dict[str, str]:
    return {
        "measure": rm.urlsafe(w.roadmap.a.measure),
        "name": rm.unique("Kontrollgröße"),
        "direction": "higher",
        "baseline_value": "10",
        "baseline_date": "2024-01-01",
        "target_value": "20",
        "target_date": "2030-01-01",
        **values,
    }


ADD_CASES = {
    "end before start": ("measure", {"planned_start": "2026-05-01", "planned_end": "2026-04-01"}, "planned_end"),
    "actual end before start": ("measure", {"actual_start": "2026-05-01", "actual_end": "2025-01-01"}, "actual_end"),
    "progress above 100": ("measure", {"progress_override": "150"}, "progress_override"),
    "progress below 0": ("measure", {"progress_override": "-5"}, "progress_override"),
    "malformed evidence link": (
        "measure",
        {"principle_data_protection.state": "open", "principle_data_protection.evidence_url": "kein link"},
        "principle_data_protection",
    ),
    "unknown department": ("measure", {"lead_department": MADE_UP_KEY}, "lead_department"),
    "target equals baseline": ("kpi", {"target_value": "10"}, "target_value"),
    "malformed source link": ("programme", {"source_url": "ftp//quelle"}, "source_url"),
}


@pytest.mark.parametrize("render", ["json", "vi"])
@pytest.mark.parametrize("case", ADD_CASES)
def test_invalid_add_is_a_field_error_and_stores_nothing(world, case, render):
    module, values, bone = ADD_CASES[case]
    payload = {
        "measure": rm.measure_payload(world, **values),
        "kpi": kpi_payload(world, **values),
        "programme": {"name": rm.unique("Programm"), "short_code": rm.unique("p"), "publication": "draft", **values},
    }[module]
    before = rm.count(module)
    status, body = world.sessions["root"].post_json(f"/{render}/{module}/add", payload)
    assert status == 200 and body["action"] == "add", (status, str(body)[:300])
    assert bone in error_bones(body), body.get("errors")
    assert rm.count(module) == before


EDIT_CASES = {
    "end before start": ("measure", {"planned_start": "2026-05-01", "planned_end": "2026-04-01"}, "planned_end"),
    "progress above 100": ("measure", {"progress_override": "101"}, "progress_override"),
    "malformed evidence link": (
        "measure",
        {"principle_it_security.state": "open", "principle_it_security.evidence_url": "http//x"},
        "principle_it_security",
    ),
    "unknown programme": ("measure", {"programme": MADE_UP_KEY}, "programme"),
    "target equals baseline": ("kpi", {"target_value": "10", "change_reason": "Prüfung"}, "target_value"),
    "unknown milestone measure": ("milestone", {"measure": MADE_UP_KEY}, "measure"),
    "malformed source link": ("programme", {"source_url": "not a url"}, "source_url"),
}


@pytest.mark.parametrize("case", EDIT_CASES)
def test_invalid_edit_is_a_field_error_and_changes_nothing(world, case):
    module, values, bone = EDIT_CASES[case]
    key = world.published(module)
    before = rm.stored(key)
    status, body = world.sessions["root"].post_json(f"/json/{module}/edit/{rm.urlsafe(key)}", values)
    assert status == 200 and body["action"] == "edit", (status, str(body)[:300])
    assert bone in error_bones(body), body.get("errors")
    assert rm.stored(key) == before
