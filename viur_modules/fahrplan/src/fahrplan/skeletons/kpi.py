"""KPIs (Kontrollgrößen) with their readings: measurable targets of a measure or a goal."""

from viur.core import i18n
from viur.core.bones import (
    BooleanBone,
    Compute,
    ComputeInterval,
    ComputeMethod,
    DateBone,
    JsonBone,
    SelectBone,
    StringBone,
    TextBone,
)
from viur.core.skeleton import Skeleton, SkeletonInstance

from ..services import cascade, history, kpis, rollup, validation
from ..types import KpiDirection, Rating
from .common import NumberBone, RelationBone, VersionBone, checked_from_client, choices, reason_bone

WATCHED_FOR_REASON = ("target_value", "target_date")


class KpiAbstractSkel(Skeleton):
    """A KPI with baseline and target; its rating is re-derived whenever it or a reading is written."""

    version = VersionBone()
    """Counted up by every save; a save based on an older version is refused (optimistic concurrency)."""

    measure = RelationBone(
        descr=i18n.translate("fahrplan.kpi.measure", "Maßnahme"),
        kind="measure",
        module="measure",
        refKeys={"name", "external_id", "lead_department", "publication"},
    )

    goal = RelationBone(
        descr=i18n.translate("fahrplan.kpi.goal", "Ziel"),
        kind="goal",
        module="goal",
        refKeys={"name", "code"},
    )

    name = StringBone(
        descr=i18n.translate("fahrplan.bone.name", "Name"),
        required=True,
        searchable=True,
        max_length=200,
    )

    description = TextBone(
        descr=i18n.translate("fahrplan.bone.description", "Beschreibung"),
        validHtml=None,
        max_length=2000,
    )

    unit = StringBone(
        descr=i18n.translate("fahrplan.kpi.unit", "Einheit"),
        params={"tooltip": "z. B. %, Anzahl, Tage"},
        max_length=30,
    )

    direction = SelectBone(
        descr=i18n.translate("fahrplan.kpi.direction", "Richtung"),
        values=choices(KpiDirection),
        translation_key_prefix="fahrplan.kpi_direction.",
        defaultValue=KpiDirection.HIGHER.value,
        required=True,
    )

    baseline_value = NumberBone(
        descr=i18n.translate("fahrplan.kpi.baseline_value", "Ausgangswert"), precision=4, required=True
    )
    baseline_date = DateBone(
        descr=i18n.translate("fahrplan.kpi.baseline_date", "Stand Ausgangswert"), time=False, required=True
    )
    target_value = NumberBone(descr=i18n.translate("fahrplan.kpi.target_value", "Zielwert"), precision=4, required=True)
    target_date = DateBone(descr=i18n.translate("fahrplan.kpi.target_date", "Zieldatum"), time=False, required=True)

    source = StringBone(
        descr=i18n.translate("fahrplan.kpi.source", "Datenquelle"),
        max_length=300,
    )

    change_reason = reason_bone()

    # --- Derived on write ---------------------------------------------------------------------

    rating = SelectBone(
        descr=i18n.translate("fahrplan.kpi.rating", "Bewertung"),
        values=choices(Rating),
        translation_key_prefix="fahrplan.rating.",
        readOnly=True,
        defaultValue=Rating.NO_DATA.value,
        compute=Compute(
            fn=lambda skel: _assessment_today(skel).rating.value, interval=ComputeInterval(ComputeMethod.Always)
        ),
    )
    """
    Shown (JSON, admin) as computed for today from the stored values, so it ages past the target date; stored as
    rated on write and re-rated on the day it changes (``rating_changes_on``), for the admin's filtered views.
    """

    rating_text = StringBone(
        descr=i18n.translate("fahrplan.kpi.rating_text", "Bewertung erklärt"),
        readOnly=True,
        max_length=1000,
        compute=Compute(
            fn=lambda skel: _assessment_today(skel).explanation, interval=ComputeInterval(ComputeMethod.Always)
        ),
    )
    """The rating's sentence, computed for today like :attr:`rating`."""

    rating_changes_on = DateBone(
        descr="Rating changes on",
        readOnly=True,
        visible=False,
    )
    """The day (its start in Europe/Berlin) on which the date alone changes the rating; empty when none will."""

    latest_value = NumberBone(
        descr=i18n.translate("fahrplan.kpi.latest_value", "Letzter Wert"), precision=4, readOnly=True
    )
    latest_date = DateBone(
        descr=i18n.translate("fahrplan.kpi.latest_date", "Stand letzter Wert"), time=False, readOnly=True
    )
    reading_count = NumberBone(
        descr=i18n.translate("fahrplan.kpi.reading_count", "Messwerte"), readOnly=True, defaultValue=0
    )

    series = JsonBone(
        descr="Series",
        readOnly=True,
        visible=False,
    )
    """``[[iso date, value, reading id], …]`` sorted by date: all readings in one place, for charts and ratings."""

    is_public = BooleanBone(
        descr=i18n.translate("fahrplan.bone.is_public", "Öffentlich (wie die Maßnahme)"),
        readOnly=True,
    )

    @classmethod
    def fromClient(cls, skel: SkeletonInstance, data: dict, *, amend: bool = False, ignore=None) -> bool:
        return checked_from_client(
            super().fromClient, skel, data, WATCHED_FOR_REASON, validation.check_kpi, amend=amend, ignore=ignore
        )

    @classmethod
    def write(cls, skel: SkeletonInstance, key=None, **kwargs) -> SkeletonInstance:
        previous_measure = kpis.stored_measure_of_kpi(skel["key"])
        with history.recording(skel, kind="kpi"):
            result = super().write(skel, key, **kwargs)
        kpis.refresh(result["key"])
        # The measures keep the keys of their KPIs (and their visibility follows the measure).
        for measure_key in {previous_measure, _measure_key(result)} - {None}:
            rollup.refresh_measure(measure_key, child=result["key"])
        result.read(result["key"])
        return result

    @classmethod
    def delete(cls, skel: SkeletonInstance, key=None) -> None:
        history.record_deletion(skel, kind="kpi")
        cascade.delete_readings_of(key or skel["key"])
        super().delete(skel, key)
        if measure_key := _measure_key(skel):
            rollup.refresh_measure(measure_key)


def _assessment_today(skel: SkeletonInstance):
    """The KPI's rating for today from the skeleton's stored values (see :func:`fahrplan.services.kpis.assessment`)."""
    return kpis.assessment({name: skel[name] for name in kpis.STORED_INPUTS})


def _measure_key(skel: SkeletonInstance):
    """The key of the measure a KPI skeleton belongs to (None for a goal's KPI)."""
    return skel["measure"]["dest"]["key"] if skel["measure"] else None


class KpiSkel(KpiAbstractSkel):
    kindName = "kpi"


class ReadingAbstractSkel(Skeleton):
    """One reading of a KPI. Late readings (for a past quarter) are welcome: the series is kept by date."""

    version = VersionBone()
    """Counted up by every save; a save based on an older version is refused (optimistic concurrency)."""

    kpi = RelationBone(
        descr=i18n.translate("fahrplan.reading.kpi", "Kontrollgröße"),
        kind="kpi",
        module="kpi",
        required=True,
        refKeys={"name", "unit", "measure"},
    )

    date = DateBone(descr=i18n.translate("fahrplan.reading.date", "Stichtag"), time=False, required=True)

    value = NumberBone(descr=i18n.translate("fahrplan.reading.value", "Wert"), precision=4, required=True)

    source = StringBone(descr=i18n.translate("fahrplan.kpi.source", "Datenquelle"), max_length=300)

    note = StringBone(descr=i18n.translate("fahrplan.reading.note", "Anmerkung"), max_length=1000)

    is_public = BooleanBone(
        descr=i18n.translate("fahrplan.bone.is_public", "Öffentlich (wie die Maßnahme)"),
        readOnly=True,
    )

    @classmethod
    def write(cls, skel: SkeletonInstance, key=None, **kwargs) -> SkeletonInstance:
        previous_kpi = kpis.stored_kpi_of_reading(skel["key"])
        skel["is_public"] = kpis.is_public(skel["kpi"]["dest"]["key"])
        with history.recording(skel, kind="kpi_reading"):
            result = super().write(skel, key, **kwargs)
        kpi_key = result["kpi"]["dest"]["key"]
        if previous_kpi is not None and previous_kpi != kpi_key:
            kpis.refresh(previous_kpi, remove=result["key"])
        kpis.refresh(kpi_key, add=(result["key"], result["date"], result["value"]))
        return result

    @classmethod
    def delete(cls, skel: SkeletonInstance, key=None) -> None:
        history.record_deletion(skel, kind="kpi_reading")
        super().delete(skel, key)
        kpis.refresh(skel["kpi"]["dest"]["key"], remove=skel["key"])


class ReadingSkel(ReadingAbstractSkel):
    kindName = "kpi_reading"


__all__ = ["KpiAbstractSkel", "KpiSkel", "ReadingAbstractSkel", "ReadingSkel"]
