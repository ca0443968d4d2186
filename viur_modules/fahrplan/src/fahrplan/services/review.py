"""
The review of editors' changes to published entries (the rule behind "editors never publish").

When an editor saves a published entry (a published measure, or a milestone or KPI of one) or adds an entry to a
published measure, the save is not written: :func:`propose` stores a pending revision (kind
``fahrplan_revision``) with the diff staff read and the form values that changed. The public page stays as it
was. The CIIO office accepts it (:func:`apply` writes exactly the proposed fields onto the entry as it is then, so
changes made meanwhile to other fields are kept) or rejects it. A city lets some fields go live at once
(``conf.fahrplan.review_live_fields``, by kind): a save that changes only those is written directly.

Root and the CIIO office always write directly; drafts and entries in review are never held back.
"""

import datetime
import typing as t

from . import history
from .datastore import settings

RESERVED_FIELDS = {"skey", "key", "bounce", "version"}
"""Form fields that are never part of a proposal (the version is the one the revision is based on)."""

REASON = "change_reason"


def changes(stored: t.Any, skel: t.Any) -> list[dict[str, str]]:
    """The displayed old → new values a save would change (every filled field for a new entry)."""
    old = history.snapshot(stored)[0] if stored is not None else None
    new, labels = history.snapshot(skel)
    return history.diff(old, new, labels)


def goes_live(kind: str, proposed: list[dict[str, str]]) -> bool:
    """Whether a change of these fields may be written at once by an editor (see the module docstring)."""
    live = set(settings().review_live_fields.get(kind, ()))
    return "*" in live or all(change["bone"] in live for change in proposed)


def form_values(data: t.Mapping[str, t.Any], bones: t.Iterable[str] | None) -> dict[str, t.Any]:
    """The posted form fields of ``bones`` (all bones when None; nested fields such as ``bone.0.x`` included)."""
    wanted = None if bones is None else set(bones) | {REASON}
    values = {}
    for name, value in data.items():
        if name in RESERVED_FIELDS:
            continue
        bone = name.split(".", 1)[0].split("[", 1)[0]
        if wanted is None or bone in wanted:
            values[name] = value
    return values


def user_ref(user: t.Any) -> tuple[str, str]:
    """The urlsafe key and the displayed name of ``user`` (named as the history names people)."""
    return (user["key"].to_legacy_urlsafe().decode() if user else ""), history.user_name(user)


def urlsafe(key: t.Any) -> str:
    return key.to_legacy_urlsafe().decode() if key else ""


def propose(
    *,
    module: str,
    kind: str,
    skel: t.Any,
    stored: t.Any,
    data: t.Mapping[str, t.Any],
    user: t.Any,
    department_key: t.Any,
    parent_key: t.Any = None,
) -> t.Any:
    """Store the pending revision of a save of ``skel`` (``stored``: the entry as stored, None for an add)."""
    from viur.core import skeleton

    diff = changes(stored, skel)
    revision = skeleton.skeletonByKind("fahrplan_revision")()
    author_key = user_ref(user)[0]
    if stored is not None and author_key:  # a second save of the same editor replaces their pending proposal
        query = revision.all().filter("target_key =", urlsafe(skel["key"])).filter("author_key =", author_key)
        if earlier := query.filter("state =", "pending").getEntry():
            revision.read(earlier.key)
    revision["entity_kind"] = kind
    revision["entity_name"] = str(skel["name"] or "") if "name" in skel else ""
    if not revision["entity_name"] and stored is not None and "name" in stored:
        revision["entity_name"] = str(stored["name"] or "")
    revision["action"] = "add" if stored is None else "edit"
    revision["changes"] = diff
    revision["diff"] = [diff_line(change) for change in diff]
    revision["summary"] = str(data.get(REASON) or "").strip()[:1000]
    revision["author_key"], revision["author_name"] = user_ref(user)
    revision["state"] = "pending"
    revision["target_module"] = module
    revision["target_key"] = urlsafe(skel["key"]) if stored is not None else ""
    revision["parent_key"] = urlsafe(parent_key)
    revision["department_key"] = urlsafe(department_key)
    revision["based_on"] = int(stored["version"] or 0) if stored is not None and "version" in stored else 0
    revision["proposed"] = form_values(data, None if stored is None else (change["bone"] for change in diff))
    revision.write()
    return revision["key"]


def diff_line(change: t.Mapping[str, str]) -> str:
    """``Feld: alt → neu`` (``–`` for an empty value)."""
    return f"{change['label']}: {change['old'] or '–'} → {change['new'] or '–'}"


class NotApplicable(Exception):
    """The revision cannot be applied (the entry is gone, or its values are no longer valid); nothing was written."""


def apply(revision: t.Any, module: t.Any, decider: t.Any) -> t.Any:
    """
    Write an accepted revision through ``module`` (the target's ViUR module: its hooks, rights and history run as
    for any save of the deciding user). Returns the written skeleton; raises :class:`NotApplicable`.
    """
    from viur.core import db

    values = dict(revision["proposed"] or {})
    author = revision["author_name"] or "?"
    reason = str(values.get(REASON) or "").strip()
    values[REASON] = f"{reason} – vorgeschlagen von {author}" if reason else f"Vorgeschlagen von {author}"
    if revision["action"] == "add":
        skel = module.addSkel()
        if not skel.fromClient(values):
            raise NotApplicable(error_text(skel))
        module.onAdd(skel)
        skel.write()
        module.onAdded(skel)
        return skel
    skel = module.editSkel()
    if not revision["target_key"] or not skel.read(db.Key.from_legacy_urlsafe(revision["target_key"])):
        raise NotApplicable("Der Eintrag ist inzwischen gelöscht.")
    if not skel.fromClient(values, amend=True):
        raise NotApplicable(error_text(skel))
    module.onEdit(skel)
    skel.write()
    module.onEdited(skel)
    return skel


def error_text(skel: t.Any) -> str:
    messages = [f"{'.'.join(map(str, error.fieldPath))}: {error.errorMessage}" for error in skel.errors]
    return "Die vorgeschlagenen Werte sind nicht mehr gültig: " + "; ".join(messages)


def decided(revision: t.Any, decision: str, decider: t.Any) -> None:
    """Stamp the decision on ``revision`` (the caller writes it)."""
    revision["state"] = decision
    revision["decided_by"] = user_ref(decider)[1]
    revision["decided_at"] = datetime.datetime.now(datetime.UTC)
