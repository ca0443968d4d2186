"""The change history: one append-only entry per save of a measure, milestone, KPI or reading."""

import typing as t

from viur.core import i18n, utils
from viur.core.bones import BooleanBone, JsonBone, SelectBone, StringBone
from viur.core.skeleton import Skeleton

ACTIONS = {"added": "angelegt", "edited": "geändert", "deleted": "gelöscht"}
KINDS = {"measure": "Maßnahme", "milestone": "Zwischenziel", "kpi": "Kontrollgröße", "kpi_reading": "Messwert"}


def escaped(value: t.Any) -> t.Any:
    """``value`` with every string HTML-escaped the way viur-core escapes string bones (lists and dicts walked)."""
    if isinstance(value, str):
        return utils.string.escape(value, max_length=None)
    if isinstance(value, list):
        return [escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: escaped(item) for key, item in value.items()}
    return value


class EscapedJsonBone(JsonBone):
    """
    A JSON value whose strings every render (json, vi) receives HTML-escaped, like every string bone's value.

    The history keeps old → new as plain display text (the portal's templates escape it), so without this the
    change list's JSON carried a title like ``<script>…`` raw while all other JSON is escaped.
    """

    def _atomic_dump(self, value: t.Any) -> t.Any:
        return escaped(super()._atomic_dump(value))


class ChangeAbstractSkel(Skeleton):
    """Who changed what (old → new), when (``creationdate``) and why."""

    entity_kind = SelectBone(descr=i18n.translate("fahrplan.change.entity_kind", "Art"), values=KINDS, readOnly=True)
    entity_key = StringBone(descr="Entity", readOnly=True, visible=False)
    entity_name = StringBone(
        descr=i18n.translate("fahrplan.change.entity_name", "Eintrag"), readOnly=True, searchable=True
    )
    measure_key = StringBone(descr="Measure", readOnly=True, visible=False)
    action = SelectBone(descr=i18n.translate("fahrplan.change.action", "Aktion"), values=ACTIONS, readOnly=True)
    changes = EscapedJsonBone(descr=i18n.translate("fahrplan.change.changes", "Änderungen"), readOnly=True)
    """The changes the public may read (``[{"bone", "label", "old", "new"}]``): public bones, public names only."""

    internal_changes = EscapedJsonBone(
        descr=i18n.translate("fahrplan.change.internal_changes", "Interne Änderungen"),
        readOnly=True,
    )
    """What only staff read of the same save: internal bones, and changes that name unpublished entries."""

    reason = StringBone(descr=i18n.translate("fahrplan.change.reason", "Begründung"), readOnly=True, max_length=1000)
    user_name = StringBone(descr=i18n.translate("fahrplan.change.user_name", "Von"), readOnly=True)
    user_key = StringBone(descr="User", readOnly=True, visible=False)
    is_public = BooleanBone(descr=i18n.translate("fahrplan.bone.is_public", "Öffentlich"), readOnly=True)
    """Listed publicly now: the entry was public when written and its measure is published."""

    publishable = BooleanBone(descr="Public when its measure is published", readOnly=True, visible=False)
    """Whether the entry was public when written: it is public again whenever its measure is published again."""


class ChangeSkel(ChangeAbstractSkel):
    kindName = "change"
