"""Milestones (Zwischenziele) of a measure: dated, weighted steps that drive its progress."""

from viur.core import i18n
from viur.core.bones import BooleanBone, DateBone, SelectBone, StringBone, TextBone
from viur.core.skeleton import Skeleton, SkeletonInstance

from ..services import history, rollup, validation
from ..types import MilestoneState
from .common import RelationBone, VersionBone, checked_from_client, choices, reason_bone, weight_bone

WATCHED_FOR_REASON = ("planned_date", "actual_date", "state")


class MilestoneAbstractSkel(Skeleton):
    """A milestone; its measure's progress and delay are re-derived whenever it is written or deleted."""

    version = VersionBone()
    """Counted up by every save; a save based on an older version is refused (optimistic concurrency)."""

    measure = RelationBone(
        descr=i18n.translate("fahrplan.milestone.measure", "Maßnahme"),
        kind="measure",
        module="measure",
        required=True,
        refKeys={"name", "external_id", "lead_department", "publication"},
    )

    name = StringBone(
        descr=i18n.translate("fahrplan.milestone.name", "Zwischenziel"),
        required=True,
        searchable=True,
        max_length=200,
    )

    description = TextBone(
        descr=i18n.translate("fahrplan.bone.description", "Beschreibung"),
        validHtml=None,
        max_length=2000,
    )

    planned_date = DateBone(
        descr=i18n.translate("fahrplan.milestone.planned_date", "Geplant für"),
        time=False,
        required=True,
    )

    actual_date = DateBone(
        descr=i18n.translate("fahrplan.milestone.actual_date", "Erreicht am"),
        time=False,
    )

    state = SelectBone(
        descr=i18n.translate("fahrplan.milestone.state", "Stand"),
        values=choices(MilestoneState),
        translation_key_prefix="fahrplan.milestone_state.",
        defaultValue=MilestoneState.OPEN.value,
        required=True,
    )

    weight = weight_bone()

    change_reason = reason_bone()

    is_public = BooleanBone(
        descr=i18n.translate("fahrplan.bone.is_public", "Öffentlich (wie die Maßnahme)"),
        readOnly=True,
    )

    @classmethod
    def fromClient(cls, skel: SkeletonInstance, data: dict, *, amend: bool = False, ignore=None) -> bool:
        return checked_from_client(
            super().fromClient, skel, data, WATCHED_FOR_REASON, validation.check_milestone, amend=amend, ignore=ignore
        )

    @classmethod
    def write(cls, skel: SkeletonInstance, key=None, **kwargs) -> SkeletonInstance:
        previous_measure = _stored_measure(skel["key"])
        with history.recording(skel, kind="milestone"):
            result = super().write(skel, key, **kwargs)
        measure_key = result["measure"]["dest"]["key"]
        rollup.refresh_measure(measure_key, child=result["key"])
        if previous_measure is not None and previous_measure != measure_key:
            rollup.refresh_measure(previous_measure)
        return result

    @classmethod
    def delete(cls, skel: SkeletonInstance, key=None) -> None:
        history.record_deletion(skel, kind="milestone")
        super().delete(skel, key)
        if skel["measure"]:
            rollup.refresh_measure(skel["measure"]["dest"]["key"])


def _stored_measure(key):
    """The measure a stored milestone belonged to before this write (a milestone may be moved)."""
    if key is None:
        return None
    from viur.core import db

    entity = db.get(key)
    return rollup.dest_key(entity.get("measure")) if entity else None


class MilestoneSkel(MilestoneAbstractSkel):
    kindName = "milestone"


__all__ = ["MilestoneAbstractSkel", "MilestoneSkel"]
