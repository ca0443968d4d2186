"""Measures (Maßnahmen): the unit of work of the roadmap."""

from viur.core import i18n
from viur.core.bones import (
    BooleanBone,
    DateBone,
    EmailBone,
    JsonBone,
    PhoneBone,
    RecordBone,
    SelectBone,
    StringBone,
    TextBone,
)
from viur.core.bones.base import UniqueLockMethod, UniqueValue
from viur.core.skeleton import RelSkel, Skeleton, SkeletonInstance

from ..services import cascade, catalogue, history, rollup, validation
from ..types import MeasureStatus, Principle, PrincipleState
from .common import (
    NumberBone,
    RelationBone,
    RichTextBone,
    VersionBone,
    checked_from_client,
    choices,
    publication_bone,
    reason_bone,
    url_bone,
    weight_bone,
)


class PrincipleCheckSkel(RelSkel):
    """One principle of the memorandum, checked for one measure."""

    state = SelectBone(
        descr=i18n.translate("fahrplan.principle.state", "Stand"),
        values=choices(PrincipleState),
        translation_key_prefix="fahrplan.principle_state.",
        defaultValue=PrincipleState.OPEN.value,
        required=True,
    )

    evidence_url = url_bone(i18n.translate("fahrplan.principle.evidence_url", "Nachweis (Link)"))

    note = StringBone(
        descr=i18n.translate("fahrplan.principle.note", "Anmerkung"),
        max_length=1000,
    )


class OpenSourceCheckSkel(PrincipleCheckSkel):
    """The open source / Public Code principle also names the licence and the code repository."""

    licence = StringBone(
        descr=i18n.translate("fahrplan.principle.licence", "Lizenz"),
        params={"tooltip": "SPDX-Kennung, z. B. EUPL-1.2 oder MIT"},
        max_length=60,
    )

    repository_url = url_bone(i18n.translate("fahrplan.principle.repository_url", "Code-Repository"))


def _principle_bone(principle: Principle, using: type[RelSkel] = PrincipleCheckSkel) -> RecordBone:
    return RecordBone(
        descr=i18n.translate(f"fahrplan.principle.{principle.value}", principle.label),
        using=using,
        format="$(state)",
        params={"category": "Grundsätze"},
    )


WATCHED_FOR_REASON = ("status", "planned_start", "planned_end", "actual_start", "actual_end")
"""Changing one of these requires a reason (recorded in the history)."""


class MeasureAbstractSkel(Skeleton):
    """A measure with its plan, responsibilities, principles checklist and derived progress."""

    version = VersionBone()
    """Counted up by every save; a save based on an older version is refused (optimistic concurrency)."""

    # --- What ---------------------------------------------------------------------------------

    name = StringBone(
        descr=i18n.translate("fahrplan.measure.name", "Titel"),
        required=True,
        searchable=True,
        max_length=200,
    )

    summary = TextBone(
        descr=i18n.translate("fahrplan.measure.summary", "Kurzbeschreibung"),
        validHtml=None,
        max_length=600,
        searchable=True,
    )

    description = RichTextBone(
        descr=i18n.translate("fahrplan.bone.description", "Beschreibung"),
        max_length=50000,
        searchable=True,
    )
    """Rich text; viur-core's TextBone sanitises it against its HTML allow-list."""

    external_id = StringBone(
        descr=i18n.translate("fahrplan.measure.external_id", "Externe ID"),
        params={"tooltip": "Eindeutige Kennung für Importe, z. B. DV-012"},
        unique=UniqueValue(UniqueLockMethod.SameValue, False, "Diese externe ID ist bereits vergeben."),
        max_length=60,
    )

    # --- Where it belongs ---------------------------------------------------------------------

    goals = RelationBone(
        descr=i18n.translate("fahrplan.measure.goals", "Teilziele"),
        kind="goal",
        module="goal",
        multiple=True,
        required=True,
        refKeys={"name", "code", "level"},
    )

    programme = RelationBone(
        descr=i18n.translate("fahrplan.measure.programme", "Programm"),
        kind="programme",
        module="programme",
        required=True,
        refKeys={"name", "short_code"},
    )

    lead_department = RelationBone(
        descr=i18n.translate("fahrplan.measure.lead_department", "Federführung"),
        kind="department",
        module="department",
        required=True,
        refKeys={"name", "short_code", "email", "phone", "postal_address"},
    )

    departments = RelationBone(
        descr=i18n.translate("fahrplan.measure.departments", "Beteiligte Ämter"),
        kind="department",
        module="department",
        multiple=True,
        refKeys={"name", "short_code"},
    )

    # --- Plan and state -----------------------------------------------------------------------

    status = SelectBone(
        descr=i18n.translate("fahrplan.measure.status", "Status"),
        values=choices(MeasureStatus),
        translation_key_prefix="fahrplan.measure_status.",
        defaultValue=MeasureStatus.PLANNED.value,
        required=True,
    )

    status_note = StringBone(
        descr=i18n.translate("fahrplan.measure.status_note", "Erläuterung zum Status"),
        params={"tooltip": "Öffentlich sichtbar: warum die Maßnahme so steht, in einem Satz."},
        max_length=500,
    )

    weight = weight_bone()

    planned_start = DateBone(descr=i18n.translate("fahrplan.measure.planned_start", "Geplanter Beginn"), time=False)
    planned_end = DateBone(descr=i18n.translate("fahrplan.measure.planned_end", "Geplantes Ende"), time=False)
    actual_start = DateBone(descr=i18n.translate("fahrplan.measure.actual_start", "Tatsächlicher Beginn"), time=False)
    actual_end = DateBone(descr=i18n.translate("fahrplan.measure.actual_end", "Tatsächliches Ende"), time=False)

    progress_override = NumberBone(
        descr=i18n.translate("fahrplan.measure.progress_override", "Fortschritt manuell (%)"),
        params={"tooltip": "Nur setzen, wenn weder Zwischenziele noch Status den Stand wiedergeben."},
        min=0,
        max=100,
    )

    budget_planned = NumberBone(
        descr=i18n.translate("fahrplan.measure.budget_planned", "Budget geplant (EUR)"),
        min=0,
        precision=2,
    )

    budget_spent = NumberBone(
        descr=i18n.translate("fahrplan.measure.budget_spent", "Budget verausgabt (EUR)"),
        min=0,
        precision=2,
    )

    publication = publication_bone()

    change_reason = reason_bone()

    # --- People -------------------------------------------------------------------------------

    responsible = StringBone(
        descr=i18n.translate("fahrplan.measure.responsible", "Verantwortlich (intern)"),
        params={"tooltip": "Nur intern sichtbar."},
        max_length=200,
    )

    responsible_email = EmailBone(
        descr=i18n.translate("fahrplan.measure.responsible_email", "E-Mail Verantwortliche (intern)"),
    )

    contact_name = StringBone(
        descr=i18n.translate("fahrplan.measure.contact_name", "Öffentlicher Kontakt"),
        max_length=200,
    )

    contact_email = EmailBone(descr=i18n.translate("fahrplan.bone.public_email", "Öffentliche E-Mail"))

    contact_phone = PhoneBone(descr=i18n.translate("fahrplan.bone.public_phone", "Öffentliches Telefon"), max_length=20)

    # --- Location (Smart City) ----------------------------------------------------------------

    location_name = StringBone(descr=i18n.translate("fahrplan.measure.location_name", "Ort"), max_length=200)
    latitude = NumberBone(
        descr=i18n.translate("fahrplan.measure.latitude", "Breitengrad"), min=-90, max=90, precision=6
    )
    longitude = NumberBone(
        descr=i18n.translate("fahrplan.measure.longitude", "Längengrad"), min=-180, max=180, precision=6
    )

    # --- Principles of the memorandum ---------------------------------------------------------

    principle_data_protection = _principle_bone(Principle.DATA_PROTECTION)
    principle_it_security = _principle_bone(Principle.IT_SECURITY)
    principle_accessibility = _principle_bone(Principle.ACCESSIBILITY)
    principle_analogue_access = _principle_bone(Principle.ANALOGUE_ACCESS)
    principle_open_source = _principle_bone(Principle.OPEN_SOURCE, OpenSourceCheckSkel)
    principle_open_data = _principle_bone(Principle.OPEN_DATA)

    # --- Derived on write (read-only) ---------------------------------------------------------

    progress = NumberBone(
        descr=i18n.translate("fahrplan.bone.progress", "Fortschritt (%)"),
        readOnly=True,
        precision=1,
        defaultValue=0,
    )

    progress_source = SelectBone(
        descr=i18n.translate("fahrplan.measure.progress_source", "Fortschritt aus"),
        values={"milestones": "Zwischenzielen", "status": "Status", "manual": "manueller Angabe"},
        readOnly=True,
    )

    is_delayed = BooleanBone(
        descr=i18n.translate("fahrplan.measure.is_delayed", "Verzögert"),
        readOnly=True,
    )

    delay_reason = StringBone(
        descr=i18n.translate("fahrplan.measure.delay_reason", "Grund der Verzögerung"),
        readOnly=True,
        max_length=2000,
    )

    overdue_count = NumberBone(
        descr=i18n.translate("fahrplan.measure.overdue_count", "Überfällige Zwischenziele"),
        readOnly=True,
        defaultValue=0,
    )

    next_milestone_date = DateBone(
        descr=i18n.translate("fahrplan.measure.next_milestone_date", "Nächstes Zwischenziel"),
        readOnly=True,
        time=False,
    )

    next_milestone_name = StringBone(
        descr=i18n.translate("fahrplan.measure.next_milestone_name", "Nächstes Zwischenziel (Titel)"),
        readOnly=True,
    )

    state_changes_on = DateBone(
        descr="Dates change it on",
        readOnly=True,
        visible=False,
    )
    """
    The next day (its start in Europe/Berlin) on which the date alone changes the derived fields: the day after
    the next open milestone's date or after the planned end. Empty when no date can; the hourly task refreshes
    the measures whose day has come (derived on write).
    """

    child_keys = StringBone(
        descr="Milestones and KPIs",
        multiple=True,
        readOnly=True,
        visible=False,
    )
    """URL-safe keys of the measure's milestones and KPIs (derived on write; the public page fetches them by key)."""

    synced_at = DateBone(
        descr="Derived at",
        readOnly=True,
        visible=False,
    )
    """When the derived fields were last written (the portal's catalogue follows writes by its change log instead)."""

    goal_index = StringBone(
        descr="Goals (incl. parents)",
        multiple=True,
        readOnly=True,
        visible=False,
    )
    """URL-safe keys of the sub-goals and their parent goals, derived on write, for list filters."""

    search_index = StringBone(
        descr="Search words",
        multiple=True,
        readOnly=True,
        visible=False,
    )
    """Words of title, summary and external ID for the portal's search, derived on write."""

    principle_index = StringBone(
        descr="Principle states",
        multiple=True,
        readOnly=True,
        visible=False,
    )
    """``"<principle>:<state>"`` per principle, derived on write, for list filters."""

    rollup = JsonBone(
        descr="Roll-up",
        readOnly=True,
        visible=False,
    )
    """The contribution last applied to goals and programme (see services.rollup)."""

    @classmethod
    def fromClient(cls, skel: SkeletonInstance, data: dict, *, amend: bool = False, ignore=None) -> bool:
        return checked_from_client(
            super().fromClient, skel, data, WATCHED_FOR_REASON, validation.check_measure, amend=amend, ignore=ignore
        )

    @classmethod
    def write(cls, skel: SkeletonInstance, key=None, **kwargs) -> SkeletonInstance:
        with history.recording(skel, kind="measure"):
            result = super().write(skel, key, **kwargs)
        rollup.refresh_measure(result["key"])
        result.read(result["key"])  # pick up the derived fields
        return result

    @classmethod
    def delete(cls, skel: SkeletonInstance, key=None) -> None:
        key = key or skel["key"]
        history.record_deletion(skel, kind="measure")
        cascade.delete_children_of_measure(key)  # milestones, KPIs and readings go with it
        rollup.remove_measure(key)
        super().delete(skel, key)
        history.forget_recent(key)
        catalogue.record_deleted(key)  # wins over any write that raced with the deletion


class MeasureSkel(MeasureAbstractSkel):
    kindName = "measure"


__all__ = ["MeasureAbstractSkel", "MeasureSkel", "OpenSourceCheckSkel", "PrincipleCheckSkel", "WATCHED_FOR_REASON"]
