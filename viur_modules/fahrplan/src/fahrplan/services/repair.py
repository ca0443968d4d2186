"""
One-off repairs of stored data, run by a host's management command (``python -m tools.manage …``). Each repair
reports what it would change (dry run) or writes it, and is idempotent: a second run finds nothing more to do.

Zeros (``repair-zeros``): :func:`zero_repairs` finds the zeros that vi-admin's ``null`` for an empty number field
left in measures before
:class:`fahrplan.skeletons.common.NumberBone` (issue 12): the admin turned every empty number field into 0, so a
measure showed a manual progress of 0 %, "Budget geplant 0 €" and the place "0, 0". The rule, per measure:

- ``latitude`` and ``longitude`` both exactly 0 → both no value (0° N 0° E lies in the Gulf of Guinea, not in a
  city; nobody enters it);
- any other of :data:`ZERO_BONES` that is exactly 0 → no value when the history never recorded the bone, or its
  latest recorded change is from empty to 0 (``'' → '0'``: what the bug wrote). A 0 the history shows was
  entered over another value (``'1200' → '0'``) is a real value and stays, as do all non-zero values.

Required numbers (weights, KPI values) were never affected (an empty required field was refused), nor are
sort orders (0 is their default). :func:`apply` writes the fixed fields straight to the datastore, without a
history entry (nothing changed in substance), and re-derives each repaired measure's progress and roll-ups with
:func:`fahrplan.services.rollup.refresh_measure`.

Rich text (``resanitise``): every stored rich text goes through today's allow-list sanitiser.
"""

import json
import typing as t
from dataclasses import dataclass, field

ZERO_BONES = ("progress_override", "budget_planned", "budget_spent", "latitude", "longitude")
"""The optional number bones of a measure that the bug set to 0."""

COORDINATES = ("latitude", "longitude")


@dataclass
class ZeroRepair:
    """What the repair changes in one measure: bone → why its 0 is taken for the bug's."""

    key: t.Any
    name: str
    bones: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """One line per measure: ``<key>  <name>: bone 0 → leer (why), …``."""
        parts = ", ".join(f"{bone} 0 → leer ({why})" for bone, why in self.bones.items())
        return f"{self.key.to_legacy_urlsafe().decode()}  {self.name}: {parts}"


def _is_zero(value: t.Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _latest_changes(entity_key) -> dict[str, tuple[str, str]]:
    """Bone → its latest recorded ``(old, new)`` in the history of ``entity_key`` (public and internal changes)."""
    from viur.core import db

    urlsafe = entity_key.to_legacy_urlsafe().decode()
    entries = sorted(
        db.Query("change").filter("entity_key =", urlsafe).iter(),
        key=lambda entry: entry.get("creationdate"),
    )
    latest: dict[str, tuple[str, str]] = {}
    for entry in entries:
        changes = []
        for bone in ("changes", "internal_changes"):
            value = entry.get(bone) or []
            changes += json.loads(value) if isinstance(value, str) else value
        for change in changes:
            latest[change.get("bone")] = (str(change.get("old") or ""), str(change.get("new") or ""))
    return latest


def _bug_zeros(entity: t.Mapping[str, t.Any], history: t.Callable[[], dict[str, tuple[str, str]]]) -> dict[str, str]:
    """The bones of ``entity`` whose 0 the rule attributes to the bug, with the reason."""
    zeros = [bone for bone in ZERO_BONES if _is_zero(entity.get(bone))]
    found: dict[str, str] = {}
    if all(bone in zeros for bone in COORDINATES):
        found |= dict.fromkeys(COORDINATES, "Koordinaten 0, 0")
    rest = [bone for bone in zeros if bone not in found]
    if rest:
        latest = history()
        for bone in rest:
            if bone not in latest:
                found[bone] = "nie eingetragen"
            elif latest[bone] == ("", "0"):
                found[bone] = "Historie: leer → 0"
    return found


def zero_repairs() -> list[ZeroRepair]:
    """Every measure with zeros the bug left, and which bones (nothing is written)."""
    from viur.core import db

    repairs = []
    for entity in db.Query("measure").iter():
        bones = _bug_zeros(entity, lambda key=entity.key: _latest_changes(key))
        if bones:
            repairs.append(ZeroRepair(entity.key, str(entity.get("name") or ""), bones))
    return repairs


def apply(repairs: t.Iterable[ZeroRepair]) -> int:
    """
    Set the bones of each repair to no value (only where they are still 0) and refresh the measure's derived
    fields and roll-ups. Returns the number of measures written.
    """
    from viur.core import db

    from . import rollup

    written = 0
    for repair in repairs:

        def txn(repair: ZeroRepair = repair) -> bool:
            entity = db.get(repair.key)
            bones = [bone for bone in repair.bones if entity is not None and _is_zero(entity.get(bone))]
            for bone in bones:
                entity[bone] = None
            if bones:
                db.put(entity)
            return bool(bones)

        if db.run_in_transaction(txn):
            rollup.refresh_measure(repair.key)
            written += 1
    return written


def rich_text_bones() -> dict[str, tuple[str, ...]]:
    """Kind → its rich-text bones, for every skeleton the app knows (the host city's own ones included)."""
    from viur.core import skeleton

    from ..skeletons.common import RichTextBone

    found = {}
    for kind in skeleton.listKnownSkeletons():
        bone_map = skeleton.skeletonByKind(kind).__boneMap__
        if bones := tuple(name for name, bone in bone_map.items() if isinstance(bone, RichTextBone)):
            found[kind] = bones
    return found


def resanitise(dry_run: bool = True, page_size: int = 200) -> list[tuple[str, str]]:
    """
    Run every stored rich text through today's allow-list sanitiser.

    Returns ``(url-safe key, bone)`` of every text that changed (or would change with ``dry_run``). Texts are
    rewritten in place: the sanitiser only removes what was never allowed, so no history entry is written.
    """
    from viur.core import db

    from ..skeletons.common import sanitise_html

    changed: list[tuple[str, str]] = []
    for kind, bones in rich_text_bones().items():
        cursor = None
        while True:
            query = db.Query(kind)
            if cursor:
                query.setCursor(cursor)
            entities = query.run(page_size)
            dirty = []
            for entity in entities:
                for bone in bones:
                    value = entity.get(bone)
                    if isinstance(value, str) and value and (clean := sanitise_html(value)) != value:
                        entity[bone] = clean
                        changed.append((entity.key.to_legacy_urlsafe().decode(), bone))
                        if entity not in dirty:
                            dirty.append(entity)
            if dirty and not dry_run:
                db.put(dirty)
            cursor = query.getCursor()
            if not cursor or len(entities) < page_size:
                break
    return changed


__all__ = ["COORDINATES", "ZERO_BONES", "ZeroRepair", "apply", "resanitise", "rich_text_bones", "zero_repairs"]
