"""Exceptions of the Fahrplan domain."""


class FahrplanError(Exception):
    """Base class of all Fahrplan errors."""


class RollupError(FahrplanError):
    """A progress roll-up could not be applied (e.g. the measure vanished meanwhile)."""


class DatastoreUnavailable(FahrplanError):
    """The datastore did not answer within its deadline, is unreachable, or is known to be down (circuit open).

    The request guards answer it with HTTP 503 and ``Retry-After``; the portal serves a stale cached page
    instead when it has one."""
