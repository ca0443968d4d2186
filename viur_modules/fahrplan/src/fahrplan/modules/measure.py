"""Measures: editors work on their department's measures, the CIIO office publishes."""

import datetime
import json

from viur.core import PeriodicTask, current, errors, exposed, force_post, skey
from viur.core.skeleton import SkeletonInstance

from ..services import jobs, rights, rollup
from . import tasks
from .base import RoadmapList, relation_key


class Measure(RoadmapList):
    kindName = "measure"
    default_order = "name"
    internal_bones = ("responsible", "responsible_email", "rollup", "progress_override")

    adminInfo = {
        "name": "Maßnahmen",
        "icon": "list-check",
        "moduleGroup": "roadmap",
        "sortIndex": 10,
        "columns": [
            "name",
            "external_id",
            "status",
            "progress",
            "is_delayed",
            "programme",
            "lead_department",
            "planned_end",
            "publication",
        ],
        "filter": {"orderby": "name"},
        "views": [
            {"name": "Verzögert", "icon": "exclamation-triangle", "filter": {"is_delayed": "1"}},
            {"name": "Zur Prüfung", "icon": "inbox", "filter": {"publication": "review"}},
            {"name": "Entwürfe", "icon": "pencil", "filter": {"publication": "draft"}},
            {"name": "In Umsetzung", "icon": "play", "filter": {"status": "in_progress"}},
        ],
        "preview": {"Öffentliche Seite": "/massnahme/{{key}}"},
    }

    def department_of(self, skel: SkeletonInstance):
        return relation_key(skel, "lead_department")

    @exposed
    @force_post
    @skey
    def recompute(self, **kwargs) -> str:
        """
        Rebuild all roll-ups from scratch (idempotent repair; root and the CIIO office only). Answers at once with
        the job's state and its progress URL; a second call while it runs returns the running job.
        """
        if not rights.can_publish(current.user.get()):
            raise errors.Unauthorized()
        state, started = tasks.start_recompute()
        return self._job_report(state, started=started)

    @exposed
    def recompute_status(self, **kwargs) -> str:
        """The state of the roll-up recompute: ``state`` (running, done, failed), ``done`` and ``total`` measures."""
        if not rights.can_publish(current.user.get()):
            raise errors.Unauthorized()
        return self._job_report(jobs.status(tasks.RECOMPUTE))

    def _job_report(self, state: dict, **extra) -> str:
        current.request.get().response.headers["Content-Type"] = "application/json"
        current.request.get().response.headers["Cache-Control"] = "no-store"
        report = {**state, **extra, "progress_url": f"/json/{self.moduleName}/recompute_status"}
        if report["state"] == "done":  # on the local server the job is finished before the answer goes out
            report["progress"] = 100
        return json.dumps(report)


@PeriodicTask(interval=datetime.timedelta(hours=1))
def refresh_overdue() -> None:
    """
    Time passes without writes: the measures whose stored ``state_changes_on`` has come (a milestone or the
    planned end just passed) are refreshed in chunks, so that they turn delayed (with the reason) within the hour.
    Finished measures long past their end are never touched again.
    """
    tasks.refresh_due_measures(rollup.local_today().isoformat(), None)
