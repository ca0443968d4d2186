"""
Skeletons of the Fahrplan package.

Importing this package registers its folder in ``conf.skeleton_search_path`` (after the host's own
``/skeletons/``), so a host project can override a concrete skeleton by declaring one with the same
``kindName`` in its own ``skeletons/`` folder.
"""

import os

from viur.core import conf

SKELETON_PATH = (
    os.path.dirname(__file__)
    .replace(str(conf.instance.project_base_path), "")
    .replace(str(conf.instance.core_base_path), "")
    + "/"
)
"""This folder as viur-core names skeleton files: relative to site-packages when installed (``/fahrplan/…``),
absolute for an editable install."""

if SKELETON_PATH not in conf.skeleton_search_path:
    # Right after the host's "/skeletons/" and before viur-core's folders, so that the package's user
    # skeleton (with department bindings) replaces the core one and the host's own still wins.
    conf.skeleton_search_path.insert(1, SKELETON_PATH)

from .change import ChangeAbstractSkel, ChangeSkel  # noqa: E402
from .department import DepartmentAbstractSkel, DepartmentSkel  # noqa: E402
from .goal import GoalAbstractSkel, GoalSkel  # noqa: E402
from .kpi import KpiAbstractSkel, KpiSkel, ReadingAbstractSkel, ReadingSkel  # noqa: E402
from .measure import MeasureAbstractSkel, MeasureSkel  # noqa: E402
from .milestone import MilestoneAbstractSkel, MilestoneSkel  # noqa: E402
from .programme import ProgrammeAbstractSkel, ProgrammeSkel  # noqa: E402
from .revision import RevisionAbstractSkel, RevisionSkel  # noqa: E402
from .user import UserSkel  # noqa: E402

__all__ = [
    "ChangeAbstractSkel",
    "ChangeSkel",
    "DepartmentAbstractSkel",
    "DepartmentSkel",
    "GoalAbstractSkel",
    "GoalSkel",
    "KpiAbstractSkel",
    "KpiSkel",
    "MeasureAbstractSkel",
    "MeasureSkel",
    "MilestoneAbstractSkel",
    "MilestoneSkel",
    "ProgrammeAbstractSkel",
    "ProgrammeSkel",
    "ReadingAbstractSkel",
    "ReadingSkel",
    "RevisionAbstractSkel",
    "RevisionSkel",
    "SKELETON_PATH",
    "UserSkel",
]
