"""ViUR modules of the Fahrplan package; a host app mounts them in its own ``modules/__init__.py``."""

from . import (
    guards,  # noqa: F401  # request and response rules for every module (registers hooks)
    tasks,  # noqa: F401  # the roll-up's deferred and periodic tasks (known by name to every instance)
)
from .change import Change
from .kpi import Kpi, Reading
from .measure import Measure
from .milestone import Milestone
from .organisation import Department, Goal, Programme
from .portal import Portal
from .revision import Revision

__all__ = ["Change", "Department", "Goal", "Kpi", "Measure", "Milestone", "Portal", "Programme", "Reading", "Revision"]
