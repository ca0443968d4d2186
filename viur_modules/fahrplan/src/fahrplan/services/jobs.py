"""
Long-running jobs (e.g. the roll-up recompute): one job per name at a time, with a lease and a progress report.

A job runs as a chain of deferred tasks, each doing one chunk and handing on a cursor, so no request and no
task runs long. :func:`start` is safe to call twice: while a job of that name is running (its lease renewed by
every chunk), it returns the running job instead of starting a second one. The state lives in one entity per
name (kind :data:`JOB_KIND`), which is also what the progress URL reports.
"""

import datetime
import secrets
import typing as t

JOB_KIND = "fahrplan_job"
LEASE = datetime.timedelta(minutes=10)
"""A running job whose last chunk is older than this is taken over by the next start."""


def _db():
    from viur.core import db

    return db


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _public(entity: t.Mapping | None) -> dict[str, t.Any]:
    if entity is None:
        return {"state": "none", "done": 0, "total": 0}
    return {
        "job": entity.get("job"),
        "state": entity.get("state"),
        "done": entity.get("done", 0),
        "total": entity.get("total", 0),
        "started": entity["started"].isoformat() if entity.get("started") else None,
        "finished": entity["finished"].isoformat() if entity.get("finished") else None,
        "message": entity.get("message") or "",
    }


def start(name: str, total: int) -> tuple[dict[str, t.Any], bool]:
    """Start the job ``name`` unless one is running; returns its state and whether this call started it."""
    db = _db()

    def txn() -> tuple[dict[str, t.Any], bool]:
        key = db.Key(JOB_KIND, name)
        entity = db.get(key)
        if entity is not None and entity.get("state") == "running" and entity["heartbeat"] > _now() - LEASE:
            return _public(entity), False
        entity = db.Entity(key, exclude_from_indexes=("message",))
        entity.update(job=secrets.token_hex(8), state="running", done=0, total=total, started=_now(), heartbeat=_now())
        entity["finished"] = None
        entity["message"] = ""
        db.put(entity)
        return _public(entity), True

    return db.run_in_transaction(txn)


def advance(name: str, job: str, done: int) -> bool:
    """Count ``done`` more items of job ``job`` and renew its lease; False when that job was replaced or ended."""
    return _update(name, job, lambda entity: entity.update(done=entity.get("done", 0) + done, heartbeat=_now()))


def finish(name: str, job: str, state: str = "done", message: str = "") -> bool:
    return _update(name, job, lambda entity: entity.update(state=state, finished=_now(), message=message))


def _update(name: str, job: str, change: t.Callable[[t.Any], None]) -> bool:
    db = _db()

    def txn() -> bool:
        entity = db.get(db.Key(JOB_KIND, name))
        if entity is None or entity.get("job") != job or entity.get("state") != "running":
            return False
        change(entity)
        db.put(entity)
        return True

    return db.run_in_transaction(txn)


def status(name: str) -> dict[str, t.Any]:
    """The job's state, as the progress URL reports it."""
    db = _db()
    return _public(db.get(db.Key(JOB_KIND, name)))
