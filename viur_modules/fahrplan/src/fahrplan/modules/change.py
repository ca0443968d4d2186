"""The change history, read-only: internal readers see all of it, the public the history of published measures."""

from viur.core import db
from viur.core.skeleton import SkeletonInstance

from .base import RoadmapList


class Change(RoadmapList):
    kindName = "change"
    public_bone = "is_public"
    public_value = True
    default_order = ("creationdate", db.SortOrder.Descending)
    internal_bones = ("user_key", "user_name", "internal_changes", "publishable")
    roles = {
        "ciio": ("view",),
        "editor": ("view",),
        "committee": ("view",),
    }

    adminInfo = {
        "name": "Änderungshistorie",
        "icon": "clock-history",
        "moduleGroup": "system",
        "columns": ["creationdate", "entity_kind", "entity_name", "action", "reason", "user_name"],
        "disabledActions": ["add", "edit", "delete", "clone"],
    }

    def canAdd(self) -> bool:
        return False

    def canEdit(self, skel: SkeletonInstance) -> bool:
        return False

    def canDelete(self, skel: SkeletonInstance) -> bool:
        return False
