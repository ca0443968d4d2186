"""Goals: strategic goals (Leitziele) with sub-goals (Teilziele) and measurable targets."""

from viur.core import i18n
from viur.core.bones import JsonBone, SelectBone, StringBone, TextBone
from viur.core.skeleton import Skeleton, SkeletonInstance

from ..services import goals
from ..types import PublicationState
from .common import (
    NumberBone,
    RelationBone,
    RichTextBone,
    VersionBone,
    add_errors,
    field_error,
    publication_bone,
    weight_bone,
)

LEVELS = {"goal": "Leitziel", "subgoal": "Teilziel"}


class GoalAbstractSkel(Skeleton):
    """A node of the goal tree; measures attach to sub-goals, progress rolls up to the top."""

    version = VersionBone()
    """Counted up by every save; a save based on an older version is refused (optimistic concurrency)."""

    name = StringBone(
        descr=i18n.translate("fahrplan.bone.name", "Name"),
        required=True,
        searchable=True,
    )

    code = StringBone(
        descr=i18n.translate("fahrplan.goal.code", "Nummer"),
        params={"tooltip": "z. B. 1 oder 1.2"},
        max_length=20,
    )

    parent = RelationBone(
        descr=i18n.translate("fahrplan.goal.parent", "Übergeordnetes Ziel"),
        kind="goal",
        module="goal",
        refKeys={"name", "code"},
    )

    level = SelectBone(
        descr=i18n.translate("fahrplan.goal.level", "Ebene"),
        values=LEVELS,
        readOnly=True,
        defaultValue="goal",
    )
    """Derived from ``parent`` on write: a goal with a parent is a sub-goal."""

    ancestor_keys = StringBone(
        descr="Ancestors",
        multiple=True,
        readOnly=True,
        visible=False,
    )
    """URL-safe keys of all goals above this one (derived on write), for roll-ups and queries."""

    description = RichTextBone(
        descr=i18n.translate("fahrplan.bone.description", "Beschreibung"),
        max_length=20000,
    )

    target = TextBone(
        descr=i18n.translate("fahrplan.goal.target", "Messbares Ziel"),
        validHtml=None,
        max_length=2000,
    )

    programmes = RelationBone(
        descr=i18n.translate("fahrplan.bone.programmes", "Programme"),
        kind="programme",
        module="programme",
        multiple=True,
        refKeys={"name", "short_code"},
    )

    weight = weight_bone()

    sortindex = NumberBone(
        descr=i18n.translate("fahrplan.bone.sortindex", "Reihenfolge"),
        defaultValue=0,
    )

    publication = publication_bone(defaultValue=PublicationState.PUBLISHED.value)

    progress = NumberBone(
        descr=i18n.translate("fahrplan.bone.progress", "Fortschritt (%)"),
        readOnly=True,
        precision=1,
        defaultValue=0,
    )

    rollup = JsonBone(
        descr="Roll-up",
        readOnly=True,
        visible=False,
    )

    @classmethod
    def fromClient(cls, skel: SkeletonInstance, data: dict, *, amend: bool = False, ignore=None) -> bool:
        complete = super().fromClient(skel, data, amend=amend, ignore=ignore)
        errors = []
        if skel["key"] and (parent := skel["parent"]):
            chain = goals.ancestor_keys(parent["dest"]["key"])
            if parent["dest"]["key"] == skel["key"] or skel["key"].to_legacy_urlsafe().decode() in chain:
                errors.append(field_error("parent", "Ein Ziel kann nicht unter sich selbst eingeordnet werden."))
        return add_errors(skel, errors) and complete

    @classmethod
    def write(cls, skel: SkeletonInstance, key=None, **kwargs) -> SkeletonInstance:
        parent = skel["parent"]
        parent_key = parent["dest"]["key"] if parent else None
        before = goals.stored_shape(skel["key"])
        skel["ancestor_keys"] = goals.ancestor_keys(parent_key) if parent_key else []
        skel["level"] = "subgoal" if parent_key else "goal"
        result = super().write(skel, key, **kwargs)
        if before is not None and before != goals.stored_shape(result["key"]):
            goals.refresh_below(result["key"])
        return result


class GoalSkel(GoalAbstractSkel):
    kindName = "goal"
