"""
The modules Musterstadt mounts: the package's, with its own extension of ``measure``.

Each name here becomes a URL path (``/json/<name>``, ``/vi/<name>``).
"""

from fahrplan.modules import Change as change
from fahrplan.modules import Department as department
from fahrplan.modules import Goal as goal
from fahrplan.modules import Kpi as kpi
from fahrplan.modules import Milestone as milestone
from fahrplan.modules import Programme as programme
from fahrplan.modules import Reading as reading
from fahrplan.modules import Revision as revision

from .measure import Measure as measure
from .user import User as user

__all__ = ["change", "department", "goal", "kpi", "measure", "milestone", "programme", "reading", "revision", "user"]
