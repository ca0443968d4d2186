"""Exceptions of the Fahrplan domain."""


class FahrplanError(Exception):
    """Base class of all Fahrplan errors."""


class RollupError(FahrplanError):
    """A progress roll-up could not be applied (e.g. the measure vanished meanwhile)."""


class ChangedMeanwhile(FahrplanError):
    """
    A save was based on an older version of the entry than the stored one (optimistic concurrency): someone
    else saved it after it was loaded. Nothing was written; the editor reloads the entry and applies the change
    again.
    """

    def __init__(self, stored: int, sent: str, by: str | None, at: str | None):
        self.stored, self.sent, self.by, self.at = stored, sent, by, at
        super().__init__(self.message)

    @property
    def message(self) -> str:
        who = f"von {self.by}" if self.by else "von jemand anderem"
        when = f" am {self.at}" if self.at else ""
        return (
            f"Dieser Eintrag wurde inzwischen {who}{when} geändert (Fassung {self.stored}; Sie haben Fassung "
            f"{self.sent} bearbeitet). Ihre Änderungen sind nicht gespeichert: bitte laden Sie den Eintrag neu "
            f"und tragen Sie sie erneut ein."
        )


class DatastoreUnavailable(FahrplanError):
    """The datastore did not answer within its deadline, is unreachable, or is known to be down (circuit open).

    The request guards answer it with HTTP 503 and ``Retry-After``; the portal serves a stale cached page
    instead when it has one."""


class PendingRevision(FahrplanError):
    """
    An editor's change of a published entry was stored as a pending revision instead of being written: the CIIO
    office accepts or rejects it. ``revision_key`` is the stored revision.
    """

    def __init__(self, revision_key: object, skel: object = None):
        self.revision_key, self.skel = revision_key, skel
        super().__init__(self.message)

    message = (
        "Ihre Änderung ist gespeichert und wartet auf die Freigabe durch das CIIO-Büro; "
        "die öffentliche Seite bleibt bis dahin unverändert."
    )
