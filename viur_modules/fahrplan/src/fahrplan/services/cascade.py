"""
What a deletion takes with it: a measure its milestones and KPIs, a KPI its readings.

Deleting cascades (rather than being refused while children exist) because a measure's milestones, KPIs and
readings have no meaning without it, and staff should not have to delete fifty readings by hand first. Children
with a history of their own (milestones, KPIs) are deleted through their skeletons, so that each deletion is
recorded and the roll-ups follow; readings go with their KPI in batches (the KPI's deletion is recorded).
"""

import typing as t

BATCH = 500


def delete_readings_of(kpi_key: t.Any) -> int:
    """Delete every stored reading of a KPI; returns how many."""
    from viur.core import db

    from .rollup import referencing

    keys = [entity.key for entity in referencing("kpi_reading", "kpi", kpi_key).iter(keys_only=True)]
    for start in range(0, len(keys), BATCH):
        db.delete(keys[start : start + BATCH])
    return len(keys)


def delete_children_of_measure(measure_key: t.Any) -> int:
    """Delete the milestones and KPIs (with their readings) of a measure through their skeletons; returns how many."""
    from viur.core import skeleton

    from .rollup import referencing

    count = 0
    for kind in ("milestone", "kpi"):
        keys = [entity.key for entity in referencing(kind, "measure", measure_key).iter(keys_only=True)]
        for key in keys:
            child = skeleton.skeletonByKind(kind)()
            if child.read(key):
                child.delete()
                count += 1
    return count
