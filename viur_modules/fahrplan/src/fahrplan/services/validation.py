"""
Cross-field validation of the domain: plain functions over bone values, returning ``(bone, message)`` pairs.

The skeletons call them from ``fromClient`` so every render (json, vi, html) gets the same field errors
and nothing is stored when one is found. Single-field rules (ranges, URLs, unknown references) are
enforced by the bones themselves.
"""

import datetime
import typing as t

Errors = list[tuple[str, str]]


def _as_date(value: t.Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    return value if isinstance(value, datetime.date) else None


def check_order(values: t.Mapping[str, t.Any], start: str, end: str) -> Errors:
    """An end date must not lie before its start date."""
    first, last = _as_date(values.get(start)), _as_date(values.get(end))
    if first and last and last < first:
        return [(end, "Das Ende liegt vor dem Beginn.")]
    return []


def changed(before: t.Mapping[str, t.Any], after: t.Mapping[str, t.Any], bones: t.Iterable[str]) -> list[str]:
    """The bones whose value differs between ``before`` and ``after`` (dates compared by day)."""

    def norm(value):
        if isinstance(value, datetime.datetime):
            return value.date()
        return value or None

    return [bone for bone in bones if norm(before.get(bone)) != norm(after.get(bone))]


def check_reason(
    before: t.Mapping[str, t.Any] | None,
    after: t.Mapping[str, t.Any],
    watched: t.Iterable[str],
    reason_bone: str = "change_reason",
) -> Errors:
    """A change of a watched bone (status, progress-relevant dates, targets) needs a reason."""
    if before is None:
        return []
    if changed(before, after, watched) and not (after.get(reason_bone) or "").strip():
        names = ", ".join(changed(before, after, watched))
        return [(reason_bone, f"Bitte begründen Sie die Änderung ({names}); die Begründung erscheint in der Historie.")]
    return []


def check_measure(
    values: t.Mapping[str, t.Any], before: t.Mapping[str, t.Any] | None, watched: t.Iterable[str]
) -> Errors:
    """All cross-field rules of a measure."""
    return (
        check_order(values, "planned_start", "planned_end")
        + check_order(values, "actual_start", "actual_end")
        + check_reason(before, values, watched)
    )


def check_milestone(
    values: t.Mapping[str, t.Any], before: t.Mapping[str, t.Any] | None, watched: t.Iterable[str]
) -> Errors:
    """All cross-field rules of a milestone."""
    errors = check_reason(before, values, watched)
    if values.get("state") == "done" and not values.get("actual_date"):
        errors.append(("actual_date", "Bitte das Datum angeben, an dem das Zwischenziel erreicht wurde."))
    return errors


def check_kpi(values: t.Mapping[str, t.Any], before: t.Mapping[str, t.Any] | None, watched: t.Iterable[str]) -> Errors:
    """All cross-field rules of a KPI: one parent, a target that differs from the baseline, ordered dates."""
    errors: Errors = []
    if bool(values.get("measure")) == bool(values.get("goal")):
        errors.append(("measure", "Eine Kontrollgröße gehört entweder zu einer Maßnahme oder zu einem Ziel."))
    baseline, target = values.get("baseline_value"), values.get("target_value")
    if baseline is not None and target is not None and float(baseline) == float(target):
        errors.append(("target_value", "Der Zielwert muss sich vom Ausgangswert unterscheiden."))
    errors += check_order(values, "baseline_date", "target_date")
    errors += check_reason(before, values, watched)
    return errors
