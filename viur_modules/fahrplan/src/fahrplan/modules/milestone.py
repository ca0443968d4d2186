"""Milestones: editable where the measure's lead department is the editor's; public with their measure."""

from viur.core.skeleton import SkeletonInstance

from .base import RoadmapList, measure_department, measure_is_published, relation_key


class Milestone(RoadmapList):
    kindName = "milestone"
    public_bone = "is_public"
    public_value = True
    default_order = "planned_date"

    adminInfo = {
        "name": "Zwischenziele",
        "icon": "signpost",
        "moduleGroup": "roadmap",
        "sortIndex": 20,
        "columns": ["name", "measure", "planned_date", "actual_date", "state", "weight"],
        "filter": {"orderby": "planned_date"},
        "views": [
            {"name": "Offen", "icon": "hourglass", "filter": {"state": "open", "orderby": "planned_date"}},
        ],
    }

    def department_of(self, skel: SkeletonInstance):
        return measure_department(relation_key(skel, "measure"))

    def parent_is_public(self, skel: SkeletonInstance) -> bool:
        return measure_is_published(relation_key(skel, "measure"))
