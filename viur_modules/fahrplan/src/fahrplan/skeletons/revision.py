"""Pending revisions: an editor's change of a published entry, kept until the CIIO office decides on it."""

from viur.core import i18n
from viur.core.bones import DateBone, JsonBone, NumericBone, SelectBone, StringBone
from viur.core.skeleton import Skeleton

from .change import KINDS, EscapedJsonBone

ACTIONS = {"edit": "Änderung", "add": "Neuer Eintrag"}
STATES = {"pending": "Wartet auf Freigabe", "accepted": "Angenommen", "rejected": "Abgelehnt"}
DECISIONS = {"accepted": "Annehmen", "rejected": "Ablehnen"}


class RevisionAbstractSkel(Skeleton):
    """
    What an editor proposed (the diff staff read, and the form values that are applied on acceptance), on which
    version of the entry it is based, and what the CIIO office decided. Only ``decision`` and ``note`` are edited.
    """

    entity_kind = SelectBone(descr=i18n.translate("fahrplan.change.entity_kind", "Art"), values=KINDS, readOnly=True)
    entity_name = StringBone(
        descr=i18n.translate("fahrplan.change.entity_name", "Eintrag"), readOnly=True, searchable=True
    )
    action = SelectBone(descr=i18n.translate("fahrplan.revision.action", "Vorschlag"), values=ACTIONS, readOnly=True)
    diff = StringBone(
        descr=i18n.translate("fahrplan.revision.diff", "Vorgeschlagene Änderungen"),
        readOnly=True,
        multiple=True,
        indexed=False,
        max_length=None,
    )
    """One line per field, ``Feld: alt → neu`` (what staff read in the admin's form)."""
    changes = EscapedJsonBone(descr="Änderungen (Daten)", readOnly=True, visible=False)
    summary = StringBone(
        descr=i18n.translate("fahrplan.change.reason", "Begründung"), readOnly=True, max_length=1000, indexed=False
    )
    author_name = StringBone(descr=i18n.translate("fahrplan.revision.author", "Vorgeschlagen von"), readOnly=True)
    state = SelectBone(
        descr=i18n.translate("fahrplan.revision.state", "Stand"),
        values=STATES,
        defaultValue="pending",
        readOnly=True,
    )
    decision = SelectBone(
        descr=i18n.translate("fahrplan.revision.decision", "Entscheidung des CIIO-Büros"), values=DECISIONS
    )
    note = StringBone(
        descr=i18n.translate("fahrplan.revision.note", "Anmerkung zur Entscheidung"), max_length=1000, indexed=False
    )
    decided_by = StringBone(descr=i18n.translate("fahrplan.revision.decided_by", "Entschieden von"), readOnly=True)
    decided_at = DateBone(descr=i18n.translate("fahrplan.revision.decided_at", "Entschieden am"), readOnly=True)

    # Internal: what is applied, to which entry, and who may see it.
    target_module = StringBone(descr="Module", readOnly=True, visible=False)
    target_key = StringBone(descr="Entry", readOnly=True, visible=False)
    parent_key = StringBone(descr="Measure", readOnly=True, visible=False)
    department_key = StringBone(descr="Department", readOnly=True, visible=False)
    author_key = StringBone(descr="Author", readOnly=True, visible=False)
    based_on = NumericBone(descr="Version", readOnly=True, visible=False, precision=0)
    proposed = JsonBone(descr="Form values", readOnly=True, visible=False, indexed=False)


class RevisionSkel(RevisionAbstractSkel):
    kindName = "fahrplan_revision"
