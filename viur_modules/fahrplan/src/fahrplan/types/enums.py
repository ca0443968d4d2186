"""
The value sets of the domain, used by ``SelectBone(values=...)`` and by the services.

Labels are German (the portal's default language); the English ones live in the translations.
"""

import enum


class MeasureStatus(enum.StrEnum):
    """Where a measure stands. Each status carries the progress a measure without milestones shows."""

    IDEA = "idea"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DELAYED = "delayed"
    STOPPED = "stopped"

    @property
    def default_progress(self) -> int:
        """Progress in percent of a measure in this status that has no milestones."""
        return _DEFAULT_PROGRESS[self]

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_DEFAULT_PROGRESS = {
    MeasureStatus.IDEA: 0,
    MeasureStatus.PLANNED: 10,
    MeasureStatus.IN_PROGRESS: 50,
    MeasureStatus.COMPLETED: 100,
    MeasureStatus.DELAYED: 40,
    MeasureStatus.STOPPED: 0,
}

_STATUS_LABELS = {
    MeasureStatus.IDEA: "Idee",
    MeasureStatus.PLANNED: "Geplant",
    MeasureStatus.IN_PROGRESS: "In Umsetzung",
    MeasureStatus.COMPLETED: "Abgeschlossen",
    MeasureStatus.DELAYED: "Verzögert",
    MeasureStatus.STOPPED: "Gestoppt",
}


class PublicationState(enum.StrEnum):
    """Moderation: editors draft and submit, the CIIO office publishes."""

    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {"draft": "Entwurf", "review": "In Prüfung", "published": "Veröffentlicht"}[self.value]


class MilestoneState(enum.StrEnum):
    """State of a milestone (Zwischenziel)."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {"open": "Offen", "done": "Erreicht", "dropped": "Entfallen"}[self.value]


class Principle(enum.StrEnum):
    """The principles of the memorandum every measure is checked against."""

    DATA_PROTECTION = "data_protection"
    IT_SECURITY = "it_security"
    ACCESSIBILITY = "accessibility"
    ANALOGUE_ACCESS = "analogue_access"
    OPEN_SOURCE = "open_source"
    OPEN_DATA = "open_data"

    @property
    def label(self) -> str:
        return _PRINCIPLE_LABELS[self]


_PRINCIPLE_LABELS = {
    Principle.DATA_PROTECTION: "Datenschutz (DSFA)",
    Principle.IT_SECURITY: "IT-Sicherheit",
    Principle.ACCESSIBILITY: "Barrierefreiheit (BITV 2.0)",
    Principle.ANALOGUE_ACCESS: "Analoger Zugang",
    Principle.OPEN_SOURCE: "Open Source / Public Code",
    Principle.OPEN_DATA: "Offene Daten",
}


class PrincipleState(enum.StrEnum):
    """How far a measure fulfils one principle."""

    FULFILLED = "fulfilled"
    IN_PROGRESS = "in_progress"
    OPEN = "open"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {
            "fulfilled": "Erfüllt",
            "in_progress": "In Arbeit",
            "open": "Offen",
            "not_applicable": "Nicht zutreffend",
        }[self.value]


class KpiDirection(enum.StrEnum):
    """Whether a KPI improves by rising or by falling."""

    HIGHER = "higher"
    LOWER = "lower"

    @property
    def label(self) -> str:
        return {"higher": "Höher ist besser", "lower": "Niedriger ist besser"}[self.value]


class Rating(enum.StrEnum):
    """On-track rating of a KPI (see :mod:`fahrplan.services.kpi` for the method)."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return {
            "achieved": "Ziel erreicht",
            "on_track": "Auf Kurs",
            "at_risk": "Gefährdet",
            "off_track": "Nicht auf Kurs",
            "no_data": "Keine Daten",
        }[self.value]
