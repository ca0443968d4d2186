"""
The skeletons of this city's app: the package's skeletons plus the city's overrides.

viur-core imports this package at ``setup()``; every skeleton the app uses must be imported here.
"""

from fahrplan.skeletons import *
