"""The change history: one append-only entry per change of a measure, milestone, KPI or reading."""

from viur.core import i18n
from viur.core.bones import BooleanBone, JsonBone, SelectBone, StringBone
from viur.core.skeleton import Skeleton

ACTIONS = {"added": "angelegt", "edited": "geändert", "deleted": "gelöscht"}
KINDS = {"measure": "Maßnahme", "milestone": "Zwischenziel", "kpi": "Kontrollgröße", "kpi_reading": "Messwert"}


class ChangeAbstractSkel(Skeleton):
    """Who changed what (old → new), when (``creationdate``) and why."""

    entity_kind = SelectBone(descr=i18n.translate("fahrplan.change.entity_kind", "Art"), values=KINDS, readOnly=True)
    entity_key = StringBone(descr="Entity", readOnly=True, visible=False)
    entity_name = StringBone(
        descr=i18n.translate("fahrplan.change.entity_name", "Eintrag"), readOnly=True, searchable=True
    )
    measure_key = StringBone(descr="Measure", readOnly=True, visible=False)
    action = SelectBone(descr=i18n.translate("fahrplan.change.action", "Aktion"), values=ACTIONS, readOnly=True)
    changes = JsonBone(descr=i18n.translate("fahrplan.change.changes", "Änderungen"), readOnly=True)
    reason = StringBone(descr=i18n.translate("fahrplan.change.reason", "Begründung"), readOnly=True, max_length=1000)
    user_name = StringBone(descr=i18n.translate("fahrplan.change.user_name", "Von"), readOnly=True)
    user_key = StringBone(descr="User", readOnly=True, visible=False)
    is_public = BooleanBone(descr=i18n.translate("fahrplan.bone.is_public", "Öffentlich"), readOnly=True)


class ChangeSkel(ChangeAbstractSkel):
    kindName = "change"
