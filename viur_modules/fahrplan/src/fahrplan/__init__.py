"""
Fahrplan: a reusable ViUR extension that runs a city's digitalisation roadmap in the open.

The package is layered like the app that mounts it:

- :mod:`fahrplan.types` holds enums and exceptions (no ViUR import, usable anywhere),
- :mod:`fahrplan.services` holds the domain logic as plain functions (unit-testable without HTTP),
- :mod:`fahrplan.skeletons` holds abstract and concrete skeletons with explicit, stable kind names,
- :mod:`fahrplan.modules` holds the ViUR modules a host app mounts in its ``modules/__init__.py``.

Importing this top-level package does not import viur-core, so that types and services stay
importable in plain unit tests.
"""

import importlib.metadata

from .config import FahrplanConfig

__all__ = ["FahrplanConfig", "__version__"]

__version__ = importlib.metadata.version("fahrplan")
"""The installed package's version (declared once, in ``pyproject.toml``)."""
