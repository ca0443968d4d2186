"""Reference data of the roadmap: departments, programmes, goals. Only root and the CIIO office change them."""

from viur.core import current
from viur.core.skeleton import SkeletonInstance

from ..services import rights
from .base import RoadmapList

REFERENCE_ROLES = {
    "ciio": "*",
    "editor": ("view",),
    "committee": ("view",),
}


class Department(RoadmapList):
    """Departments are public (they are the analogue contact channel), whoever asks."""

    kindName = "department"
    department_bound = False
    roles = REFERENCE_ROLES
    default_order = "name"

    adminInfo = {
        "name": "Ämter",
        "icon": "building",
        "moduleGroup": "organisation",
        "columns": ["name", "short_code", "level", "parent", "email", "phone"],
        "filter": {"orderby": "name"},
    }

    def listFilter(self, query):
        return query

    def canView(self, skel: SkeletonInstance) -> bool:
        return True


class Programme(RoadmapList):
    kindName = "programme"
    department_bound = False
    roles = REFERENCE_ROLES
    default_order = "sortindex"
    internal_bones = ("rollup",)

    adminInfo = {
        "name": "Programme",
        "icon": "collection",
        "moduleGroup": "roadmap",
        "sortIndex": 40,
        "columns": ["name", "short_code", "progress", "publication", "sortindex"],
    }


class Goal(RoadmapList):
    kindName = "goal"
    department_bound = False
    roles = REFERENCE_ROLES
    default_order = "code"
    internal_bones = ("rollup",)

    adminInfo = {
        "name": "Ziele",
        "icon": "bullseye",
        "moduleGroup": "roadmap",
        "sortIndex": 30,
        "columns": ["code", "name", "level", "parent", "progress", "weight", "publication"],
        "filter": {"orderby": "code"},
        "views": [
            {"name": "Leitziele", "icon": "flag", "filter": {"level": "goal", "orderby": "code"}},
            {"name": "Teilziele", "icon": "flag-fill", "filter": {"level": "subgoal", "orderby": "code"}},
        ],
    }

    def may_touch(self, skel: SkeletonInstance) -> bool:
        return rights.can_publish(current.user.get())
