"""KPIs and their readings: editable where the measure's lead department is the editor's."""

from viur.core import db
from viur.core.skeleton import SkeletonInstance

from ..services import kpis
from ..services.rollup import dest_key
from .base import RoadmapList, measure_department, measure_is_published, relation_key


class Kpi(RoadmapList):
    kindName = "kpi"
    public_bone = "is_public"
    public_value = True
    default_order = "name"
    internal_bones = ("series",)

    adminInfo = {
        "name": "Kontrollgrößen",
        "icon": "graph-up",
        "moduleGroup": "roadmap",
        "sortIndex": 25,
        "columns": ["name", "measure", "goal", "unit", "latest_value", "target_value", "target_date", "rating"],
        "views": [
            {"name": "Nicht auf Kurs", "icon": "graph-down", "filter": {"rating": "off_track"}},
            {"name": "Gefährdet", "icon": "exclamation", "filter": {"rating": "at_risk"}},
        ],
    }

    def department_of(self, skel: SkeletonInstance):
        return measure_department(relation_key(skel, "measure"))

    def parent_is_public(self, skel: SkeletonInstance) -> bool:
        return measure_is_published(relation_key(skel, "measure"))


class Reading(RoadmapList):
    kindName = "kpi_reading"
    public_bone = "is_public"
    public_value = True
    default_order = "date"

    adminInfo = {
        "name": "Messwerte",
        "icon": "123",
        "moduleGroup": "roadmap",
        "sortIndex": 26,
        "columns": ["kpi", "date", "value", "source"],
    }

    def department_of(self, skel: SkeletonInstance):
        kpi_key = relation_key(skel, "kpi")
        entity = db.get(kpi_key) if kpi_key else None
        return measure_department(dest_key(entity.get("measure"))) if entity else None

    def parent_is_public(self, skel: SkeletonInstance) -> bool:
        kpi_key = relation_key(skel, "kpi")
        return bool(kpi_key) and kpis.is_public(kpi_key)
