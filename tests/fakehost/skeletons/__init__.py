"""
The skeletons of Musterstadt's app: the package's skeletons plus the city's overrides.

viur-core imports this package at ``setup()``. This folder comes first in ``conf.skeleton_search_path``,
so a skeleton here with a package skeleton's ``kindName`` replaces it everywhere (modules, relations).
"""

from fahrplan.skeletons import *  # noqa: F403

from .measure import MeasureSkel  # noqa: F401  # overrides fahrplan.skeletons.MeasureSkel (kind "measure")
