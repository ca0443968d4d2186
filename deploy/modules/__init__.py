"""
The modules this city mounts. Each name here becomes a URL path (``/json/<name>``, ``/vi/<name>``).

Domain modules come from the ``fahrplan`` package; a module file in this folder only exists where
the city extends one.
"""

from fahrplan.modules import Change as change
from fahrplan.modules import Department as department
from fahrplan.modules import Goal as goal
from fahrplan.modules import Kpi as kpi
from fahrplan.modules import Measure as measure
from fahrplan.modules import Milestone as milestone
from fahrplan.modules import Programme as programme
from fahrplan.modules import Reading as reading
from fahrplan.modules import Revision as revision

from .index import Index as index
from .user import User as user
