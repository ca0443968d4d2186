"""Exceptions of the Fahrplan domain."""


class FahrplanError(Exception):
    """Base class of all Fahrplan errors."""


class RollupError(FahrplanError):
    """A progress roll-up could not be applied (e.g. the measure vanished meanwhile)."""
