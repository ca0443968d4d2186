"""Enums and exceptions of the Fahrplan domain. Nothing here imports viur-core."""

from .enums import (
    KpiDirection,
    MeasureStatus,
    MilestoneState,
    Principle,
    PrincipleState,
    PublicationState,
    Rating,
)
from .exceptions import DatastoreUnavailable, FahrplanError, RollupError

__all__ = [
    "DatastoreUnavailable",
    "FahrplanError",
    "KpiDirection",
    "MeasureStatus",
    "MilestoneState",
    "Principle",
    "PrincipleState",
    "PublicationState",
    "Rating",
    "RollupError",
]
