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
from .exceptions import ChangedMeanwhile, DatastoreUnavailable, FahrplanError, PendingRevision, RollupError

__all__ = [
    "ChangedMeanwhile",
    "DatastoreUnavailable",
    "FahrplanError",
    "KpiDirection",
    "MeasureStatus",
    "MilestoneState",
    "PendingRevision",
    "Principle",
    "PrincipleState",
    "PublicationState",
    "Rating",
    "RollupError",
]
