"""
Progress roll-up: measure ← milestones; goals, programmes and the whole roadmap ← measures.

How it works (maintained on write, never recomputed per page view):

- A measure's **progress** comes from its milestones, weighted (done weight ÷ total weight, dropped
  milestones left out), or without milestones from its status' default progress, or from a manual value
  the editor set. A completed measure is at 100 %.
- A milestone past its planned date and not done is **overdue**; a measure with an overdue milestone, a
  planned end in the past (and not completed or stopped) or the status "delayed" is **delayed**, and the
  reason is stated in words.
- Time changes these without a write: each measure stores ``state_changes_on``, the next day on which the date
  alone changes them (the day after its next open milestone's date or after its planned end, if it is not
  finished), and the hourly task refreshes only the measures whose day has come.
- Each measure stores the **contribution** it last applied (weight, progress, status, public or not, and
  the goals, programme and roadmap it counts for). :func:`refresh_measure` computes the new contribution
  and, in one transaction, subtracts the old one from and adds the new one to every target's sums. Targets
  keep two sums, ``all`` (internal) and ``public`` (published measures only), so that public pages never
  count drafts.
- A sub-goal's weight scales its measures' contribution to the goals above it.
- :func:`recompute_all` rebuilds every sum from scratch; it is idempotent and repairs any drift.

The pure functions at the top are unit-tested without a database.
"""

import contextlib
import datetime
import json
import logging
import re
import threading
import time
import typing as t
import zoneinfo

from ..types import MeasureStatus, MilestoneState, Principle, PublicationState

LOCAL_TZ = zoneinfo.ZoneInfo("Europe/Berlin")
STATS_KIND = "fahrplan_stats"
STATS_NAME = "roadmap"
SCOPES = ("all", "public")

# ---------------------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------------------


def local_date(value: t.Any) -> datetime.date | None:
    """The calendar date (Europe/Berlin) of a stored date or datetime."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ)
        return value.date()
    return value if isinstance(value, datetime.date) else None


def local_today() -> datetime.date:
    """Today's calendar date in Europe/Berlin: the one clock of every date-derived value (tests replace it)."""
    return datetime.datetime.now(LOCAL_TZ).date()


def local_midnight(value: datetime.date) -> datetime.datetime:
    """The start of ``value`` in Europe/Berlin, as the datastore stores (and compares) a calendar date."""
    return datetime.datetime.combine(value, datetime.time(), tzinfo=LOCAL_TZ)


def format_date(value: datetime.date) -> str:
    return value.strftime("%d.%m.%Y")


def measure_progress(
    status: str | None,
    milestones: t.Iterable[tuple[float, str]],
    override: float | None = None,
) -> tuple[float, str]:
    """
    Progress (0–100) of a measure and where it comes from (``milestones``, ``status`` or ``manual``).

    :param status: the measure's status value.
    :param milestones: ``(weight, state)`` of each milestone.
    :param override: a manual progress set by the editor, if any.
    """
    status = MeasureStatus(status or MeasureStatus.PLANNED)
    if status is MeasureStatus.COMPLETED:
        return 100.0, "status"
    if override is not None:
        return float(max(0, min(100, override))), "manual"
    counted = [(float(weight or 0), state) for weight, state in milestones if state != MilestoneState.DROPPED]
    total = sum(weight for weight, _ in counted)
    if total > 0:
        done = sum(weight for weight, state in counted if state == MilestoneState.DONE)
        return round(100.0 * done / total, 1), "milestones"
    return float(status.default_progress), "status"


def is_overdue(state: str | None, planned_date: datetime.date | None, today: datetime.date) -> bool:
    """A milestone past its planned date and not done (nor dropped) is overdue."""
    return state == MilestoneState.OPEN and planned_date is not None and planned_date < today


def delay(
    status: str | None,
    planned_end: datetime.date | None,
    overdue: t.Sequence[tuple[str, datetime.date]],
    status_note: str | None = None,
    today: datetime.date | None = None,
) -> tuple[bool, str]:
    """Whether a measure is delayed, and why, in sentences a citizen understands (never once it is finished)."""
    if status in (MeasureStatus.COMPLETED, MeasureStatus.STOPPED):
        return False, ""
    reasons = [
        f"Das Zwischenziel „{title}“ war für den {format_date(planned)} geplant und ist noch nicht erreicht."
        for title, planned in overdue
    ]
    if today and planned_end and planned_end < today:
        reasons.append(f"Das geplante Ende ({format_date(planned_end)}) ist überschritten.")
    if status == MeasureStatus.DELAYED and not reasons:
        reasons.append(status_note or "Die Maßnahme wurde als verzögert gemeldet.")
    return bool(reasons), " ".join(reasons)


def principle_index(values: t.Mapping[str, t.Any]) -> list[str]:
    """``"<principle>:<state>"`` for each principle that has a state, for list filters."""
    result = []
    for principle in Principle:
        record = values.get(f"principle_{principle.value}") or {}
        if state := record.get("state"):
            result.append(f"{principle.value}:{state}")
    return result


def goal_index(contribution: t.Mapping[str, t.Any] | None) -> list[str]:
    """
    URL-safe keys of every goal a measure counts for (its sub-goals and their ancestors), for list filters.

    Stored flat on the measure: the datastore (and its emulator) cannot filter reliably on a property of the
    entities inside the ``goals`` relation list.
    """
    targets = (contribution or {}).get("targets") or {}
    return sorted(name.partition("/")[2] for name in targets if name.startswith("goal/"))


def search_words(*texts: t.Any) -> list[str]:
    """
    The words of ``texts`` as the portal's search finds them: lower case, split at anything but letters and
    digits (so "E-Akte" gives "e" and "akte"), at least two characters, without HTML tags.
    """
    words: set[str] = set()
    for text in texts:
        if not text:
            continue
        text = re.sub(r"<[^>]+>", " ", str(text)).lower()
        words.update(word for word in re.split(r"[^0-9a-zäöüß]+", text) if 2 <= len(word) <= 40)
    return sorted(words)


def indexes(entity: t.Mapping[str, t.Any], contribution: t.Mapping[str, t.Any] | None) -> dict[str, list[str]]:
    """The flat list properties a measure keeps for the portal's filters and search (derived on write)."""
    principles = {
        name: stored_json(entity.get(name)) if isinstance(entity.get(name), str) else entity.get(name)
        for name in (f"principle_{p.value}" for p in Principle)
    }
    return {
        "goal_index": goal_index(contribution),
        "principle_index": principle_index(principles),
        "search_index": search_words(entity.get("name"), entity.get("summary"), entity.get("external_id")),
    }


def empty_sums() -> dict[str, t.Any]:
    return {"n": 0, "w": 0.0, "wp": 0.0, "delayed": 0, "status": {}}


def apply_contribution(rollup: dict | None, contribution: dict | None, factor: float, sign: int) -> dict:
    """Add (``sign=1``) or remove (``sign=-1``) one measure's contribution to a target's sums."""
    rollup = {scope: dict(empty_sums(), **(rollup or {}).get(scope, {})) for scope in SCOPES}
    if not contribution:
        return rollup
    for scope in SCOPES:
        if scope == "public" and not contribution["public"]:
            continue
        sums = rollup[scope]
        sums["status"] = dict(sums["status"])
        weight = contribution["weight"] * factor
        sums["n"] += sign
        sums["w"] = round(sums["w"] + sign * weight, 6)
        sums["wp"] = round(sums["wp"] + sign * weight * contribution["progress"], 6)
        sums["delayed"] += sign * int(contribution["delayed"])
        if overdue := contribution.get("overdue"):  # kept only while non-zero (older sums lack it)
            sums["overdue"] = sums.get("overdue", 0) + sign * overdue
            if not sums["overdue"]:
                del sums["overdue"]
        status = contribution["status"]
        sums["status"][status] = sums["status"].get(status, 0) + sign
        if not sums["status"][status]:
            del sums["status"][status]
    return rollup


def progress_of(rollup: dict | None, scope: str = "all") -> float:
    """The weighted progress (0–100) of a target's sums."""
    sums = (rollup or {}).get(scope) or {}
    return round(sums["wp"] / sums["w"], 1) if sums.get("w") else 0.0


def diff_targets(old: dict | None, new: dict | None) -> dict[str, tuple[float | None, float | None]]:
    """Target → (old factor, new factor) for every target either contribution counts for."""
    old_targets = (old or {}).get("targets", {})
    new_targets = (new or {}).get("targets", {})
    return {key: (old_targets.get(key), new_targets.get(key)) for key in old_targets.keys() | new_targets.keys()}


# ---------------------------------------------------------------------------------------------------
# Datastore side
# ---------------------------------------------------------------------------------------------------


def _db():
    from viur.core import db

    return db


def dest_key(value: t.Any):
    """The key a stored relational value points to."""
    if not value:
        return None
    dest = value.get("dest") if isinstance(value, dict) else None
    if dest is None:
        return None
    return getattr(dest, "key", None) or (dest.get("key") if isinstance(dest, dict) else None)


def dest_keys(value: t.Any) -> list:
    if not value:
        return []
    values = value if isinstance(value, list) else [value]
    return [key for key in (dest_key(item) for item in values) if key is not None]


def by_key(entities: t.Iterable[t.Any]) -> dict:
    """
    Entities by key. ``db.get`` of a list leaves out keys it did not find, so its result must never be
    zipped with the keys asked for.
    """
    return {entity.key: entity for entity in entities if entity is not None}


_RAISE: t.Any = object()


def stored_json(value: t.Any, invalid: t.Any = _RAISE) -> t.Any:
    """
    A JSON value as a raw entity holds it: a JsonBone's text (decoded here) or a value decoded already. Text that is
    not JSON raises ``ValueError``, or gives ``invalid`` when one is passed.
    """
    if not isinstance(value, str | bytes):
        return value
    try:
        return json.loads(value)
    except ValueError:
        if invalid is _RAISE:
            raise
        return invalid


def _target_key(target: str):
    db = _db()
    kind, _, ident = target.partition("/")
    if kind == STATS_KIND:
        return db.Key(STATS_KIND, ident)
    return db.Key.from_legacy_urlsafe(ident)


def _target_name(key) -> str:
    if key.kind == STATS_KIND:
        return f"{STATS_KIND}/{key.id_or_name}"
    return f"{key.kind}/{key.to_legacy_urlsafe().decode()}"


def referencing(kind: str, bone: str, key):
    """
    A query for the entities of ``kind`` whose relational ``bone`` points to ``key``.

    It filters on the ``shortkey`` (id or name) every stored relation embeds, not on ``<bone>.dest.__key__``:
    the Firestore emulator in Datastore mode never matches a filter on an embedded entity's key, so that
    query finds nothing locally. The destination kind is fixed by the bone, so the id is unambiguous.
    """
    return _db().Query(kind).filter(f"{bone}.dest.shortkey =", key.id_or_name)


def milestones_of(measure_key) -> list:
    """The stored milestones of a measure (raw entities)."""
    return list(referencing("milestone", "measure", measure_key).run(limit=1000))


def derive(entity: t.Mapping[str, t.Any], milestones: t.Sequence[t.Mapping[str, t.Any]], today: datetime.date) -> dict:
    """The derived fields of a measure from its stored values and milestones."""
    override = entity.get("progress_override")
    progress, source = measure_progress(
        entity.get("status"),
        [(m.get("weight") if m.get("weight") is not None else 1, m.get("state")) for m in milestones],
        override if override not in (None, "") else None,
    )
    overdue = []
    upcoming = []
    changes = []  # the days on which the date alone changes the derived values
    for milestone in milestones:
        planned = local_date(milestone.get("planned_date"))
        if is_overdue(milestone.get("state"), planned, today):
            overdue.append((milestone.get("name") or "", planned))
        elif milestone.get("state") == MilestoneState.OPEN and planned:
            upcoming.append((milestone.get("planned_date"), milestone.get("name") or ""))
            changes.append(planned + datetime.timedelta(days=1))  # overdue from the day after its date
    overdue.sort(key=lambda item: item[1])
    planned_end = local_date(entity.get("planned_end"))
    finished = entity.get("status") in (MeasureStatus.COMPLETED, MeasureStatus.STOPPED)
    if planned_end and planned_end >= today and not finished:
        changes.append(planned_end + datetime.timedelta(days=1))  # delayed from the day after the planned end
    delayed, reason = delay(
        entity.get("status"),
        planned_end,
        overdue,
        entity.get("status_note"),
        today,
    )
    return {
        "progress": progress,
        "progress_source": source,
        "is_delayed": delayed,
        "delay_reason": reason,
        "overdue_count": len(overdue),
        "next_milestone_date": min(upcoming)[0] if upcoming else None,
        "next_milestone_name": min(upcoming)[1] if upcoming else "",
        "state_changes_on": local_midnight(min(changes)) if changes else None,
    }


def contribution(
    entity: t.Mapping[str, t.Any],
    derived: t.Mapping[str, t.Any],
    goals: t.Mapping,
    targets: t.Mapping[str, float] | None = None,
) -> dict:
    """
    What a measure counts for: its weight, progress, status, delay, visibility and targets with factors.

    :param goals: the goal entities the measure is linked to, by key (with ``weight`` and ``ancestor_keys``).
    :param targets: the targets with factors, when known already (see :func:`stored_targets`); ``goals`` is
        not used then.
    """
    if targets is not None:
        return _contribution(entity, derived, dict(targets))
    targets = {f"{STATS_KIND}/{STATS_NAME}": 1.0}
    if programme := dest_key(entity.get("programme")):
        targets[_target_name(programme)] = 1.0
    db = _db()
    for key, goal in goals.items():
        targets[_target_name(key)] = 1.0
        factor = float(goal.get("weight") if goal.get("weight") is not None else 1)
        for ancestor in goal.get("ancestor_keys") or []:
            name = _target_name(db.Key.from_legacy_urlsafe(ancestor))
            targets[name] = max(targets.get(name, 0.0), factor)
    return _contribution(entity, derived, targets)


def _contribution(entity: t.Mapping[str, t.Any], derived: t.Mapping[str, t.Any], targets: dict[str, float]) -> dict:
    weight = entity.get("weight")
    stopped = entity.get("status") == MeasureStatus.STOPPED
    return {
        # a stopped measure is counted (and by status) but leaves every progress figure: weight 0
        "weight": 0.0 if stopped else float(weight if weight is not None else 1),
        "progress": float(derived["progress"]),
        "status": entity.get("status") or MeasureStatus.PLANNED.value,
        "delayed": bool(derived["is_delayed"]),
        "overdue": int(derived.get("overdue_count") or 0),
        "public": entity.get("publication") == PublicationState.PUBLISHED,
        "targets": targets,
    }


def stored_targets(entity: t.Mapping[str, t.Any]) -> dict[str, float] | None:
    """
    The targets (with factors) of the contribution a measure stores, when they still fit its goals and programme:
    None when it has none, its last refresh failed, or it now names a goal or programme they lack.

    A refresh for the passing of time uses them instead of reading the goals in its transaction (the folds write
    the sums onto the goals). Factors stay right: a change of a goal refreshes its measures in full.
    """
    old = stored_json(entity.get("rollup"))
    if not old or entity.get("rollup_pending") or "targets" not in old:
        return None
    names = {_target_name(key) for key in [*dest_keys(entity.get("goals")), *dest_keys(entity.get("programme"))]}
    return old["targets"] if names <= old["targets"].keys() else None


REFRESH_ROUNDS = 5
"""How often a refresh re-reads a measure's milestones when they changed while it ran."""


def refresh_measure(
    measure_key,
    today: datetime.date | None = None,
    attempt: int = 0,
    *,
    dates_only: bool = False,
    child=None,
    rescan: bool = False,
) -> dict | None:
    """
    Recompute a measure's derived fields and move its contribution in all roll-ups; safe to call any number of
    times, from any number of threads. Never raises for contention: a write is never answered with an error
    after its data was stored (the refresh is retried in a deferred task, and the hourly sweep catches up).

    The measure's milestones and KPIs are found by the keys it keeps (``child_keys``), never by a query: a
    query over those large kinds grows with the database. ``child``: the key of a milestone or KPI just written
    for this measure, added to the kept keys. A child deleted or moved to another measure drops out by itself
    (every kept key is looked up and checked). ``rescan`` (and a retry, a flagged measure, or one stored before
    it kept its children) finds the children by query instead: for callers that wrote children without a
    skeleton (bulk loaders) and for the repair paths.

    ``dates_only``: only the date changed (the hourly task), so the measure keeps the targets its stored
    contribution counts for (:func:`stored_targets`) and its transaction reads no goal.

    Returns the new contribution, or None when the measure is gone or another thread of this process is
    refreshing it right now (that thread then refreshes it once more, so this call's change is included).
    """
    from . import sums

    result: list[dict | None] = [None]

    def job() -> None:
        result[0] = _refresh_until_stable(measure_key, today, dates_only, rescan or attempt > 0)

    if child is not None:
        _new_children.note(measure_key, [child])
    try:
        sums.coalescer.run(("measure", measure_key), job)
    except Exception:  # contention that outlasted the retries, or the datastore went away meanwhile
        logging.exception(f"refresh of {measure_key!r} failed; retried in a deferred task")
        _mark_pending(measure_key)
        if attempt < RETRIES:
            refresh_later(measure_key, attempt + 1)
        return None
    schedule_fold()
    return result[0]


class _NewChildren:
    """
    Keys of children written in this process whose measure has not yet been refreshed with them. A refresh
    takes them in its next run: the thread that is refreshing the measure right now (see ``sums.coalescer``)
    includes them in the run it makes once more, so no write's child is left out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[t.Any, list] = {}

    def note(self, measure_key, keys: t.Iterable[t.Any]) -> None:
        with self._lock:
            noted = self._keys.setdefault(measure_key, [])
            noted.extend(key for key in keys if key not in noted)

    def take(self, measure_key) -> list:
        with self._lock:
            return self._keys.pop(measure_key, [])


_new_children = _NewChildren()


def kept_child_keys(entity: t.Mapping[str, t.Any]) -> list:
    """A measure's milestone and KPI keys as it keeps them (``child_keys``); unreadable ones are left out."""
    keys = []
    for value in entity.get("child_keys") or []:
        try:
            key = _db().Key.from_legacy_urlsafe(value)
        except Exception:  # a damaged value must not stop the refresh that rewrites it
            continue
        if key.kind in ("milestone", "kpi"):
            keys.append(key)
    return keys


def _refresh_until_stable(
    measure_key, today: datetime.date | None, dates_only: bool = False, rescan: bool = False
) -> dict | None:
    """
    Refresh in a transaction that reads the measure and its children by key (:func:`_refresh_by_kept_keys`).

    With ``rescan``, and for a measure flagged by a failed refresh or stored before it kept its children, the
    children are found by query: the transaction reads the milestones found, then the query is repeated to
    check that none was added or removed meanwhile (a query cannot run in that transaction), and the refresh
    runs again if one was.
    """
    db = _db()
    today = today or local_today()
    measure = db.get(measure_key)
    if measure is None:
        return None
    if not rescan and measure.get("synced_at") is not None and not measure.get("rollup_pending"):
        return _refresh_by_kept_keys(measure_key, today, dates_only)
    _new_children.take(measure_key)  # the query finds them too
    new = None
    for _ in range(REFRESH_ROUNDS):
        milestone_keys = [found.key for found in referencing("milestone", "measure", measure_key).iter(keys_only=True)]
        kpis = _sync_children_visibility(measure_key, milestone_keys)
        new = db.run_in_transaction(_refresh_txn, measure_key, milestone_keys, kpis, today, dates_only)
        now = {found.key for found in referencing("milestone", "measure", measure_key).iter(keys_only=True)}
        if now == set(milestone_keys):
            break
    return new


def _refresh_by_kept_keys(measure_key, today: datetime.date, dates_only: bool) -> dict | None:
    """
    The refresh of a measure whose children are known by key: one transaction reads the measure, its kept
    children and the ones just written, keeps those that still belong to it, and writes the result; then the
    children's visibility follows the measure's publication.
    """
    db = _db()
    added = _new_children.take(measure_key)
    read: dict[str, t.Any] = {}
    try:
        new = db.run_in_transaction(_refresh_txn, measure_key, None, None, today, dates_only, added, read)
    except BaseException:
        _new_children.note(measure_key, added)  # for the next refresh; the failed one is retried with a rescan
        raise
    if "public" in read:
        _sync_visibility(read["children"], read["public"])
    return new


def _refresh_txn(
    measure_key,
    milestone_keys: list | None,
    kpis: list | None,
    today: datetime.date,
    dates_only: bool = False,
    added: t.Sequence[t.Any] = (),
    read: dict[str, t.Any] | None = None,
) -> dict | None:
    """
    Within a transaction: recompute and write one measure. Its children are ``milestone_keys`` and ``kpis``
    (found by query), or, when those are None, its kept child keys plus ``added``, each looked up and kept
    only while it still points to this measure; ``read`` then receives the children and the publication.
    """
    from . import catalogue, sums

    db = _db()
    entity = db.get(measure_key)
    if entity is None:
        return None
    if milestone_keys is None or kpis is None:
        wanted = list(dict.fromkeys([*kept_child_keys(entity), *added]))
        children = [
            child
            for child in (db.get(wanted) if wanted else [])
            if child is not None and dest_key(child.get("measure")) == measure_key
        ]
        milestones = [child for child in children if child.key.kind == "milestone"]
        kpis = [child for child in children if child.key.kind == "kpi"]
        if read is not None:
            read.update(children=children, public=entity.get("publication") == PublicationState.PUBLISHED)
    else:
        milestones = list(by_key(db.get(milestone_keys)).values()) if milestone_keys else []
    targets = stored_targets(entity) if dates_only else None
    goal_keys = dest_keys(entity.get("goals")) if targets is None else []
    goals = by_key(db.get(goal_keys)) if goal_keys else {}
    derived = derive(entity, milestones, today)
    new = contribution(entity, derived, goals, targets)
    old = stored_json(entity.get("rollup"))
    seq = int(entity.get("rollup_seq") or 0)
    if new != old:
        seq += 1
        sums.record(measure_key, seq, old, new)
    entity.update(derived)
    entity.update(indexes(entity, new))
    entity["child_keys"] = child_keys(milestones, kpis)
    entity["synced_at"] = datetime.datetime.now(datetime.UTC)
    entity["rollup"] = json.dumps(new)
    entity["rollup_seq"] = seq
    entity["rollup_pending"] = False
    catalogue.record(entity)  # in this transaction: the portal's catalogue learns of every write
    db.put(entity)
    return new


def _mark_pending(measure_key) -> None:
    """Best effort: flag a measure whose refresh failed, for the sweep (:func:`refresh_pending`)."""
    db = _db()

    def txn() -> None:  # in a transaction: a plain read-modify-write could undo an editor's concurrent save
        entity = db.get(measure_key)
        if entity is not None:
            entity["rollup_pending"] = True
            db.put(entity)

    try:
        db.run_in_transaction(txn)
    except Exception:
        logging.exception(f"could not flag {measure_key!r} for a later refresh")


def refresh_pending() -> int:
    """Refresh every measure flagged by a failed refresh; returns how many."""
    db = _db()
    keys = [found.key for found in db.Query("measure").filter("rollup_pending =", True).iter(keys_only=True)]
    for key in keys:
        refresh_measure(key, rescan=True)
    return len(keys)


def remove_measure(measure_key) -> None:
    """Take a (deleted) measure's last contribution out of all roll-ups, and the measure out of the catalogue."""
    from . import catalogue, sums

    db = _db()

    def txn():
        entity = db.get(measure_key)
        if entity is None:
            return
        old = stored_json(entity.get("rollup"))
        seq = int(entity.get("rollup_seq") or 0) + 1
        sums.record(measure_key, seq, old, None)
        entity["rollup"] = json.dumps(None)
        entity["rollup_seq"] = seq
        catalogue.record(entity, removed=True)
        db.put(entity)

    db.run_in_transaction(txn)
    schedule_fold()


def schedule_fold() -> None:
    """Apply the logged roll-up changes soon: right after this request locally, within seconds in production."""
    from google.api_core import exceptions

    from ..modules import tasks

    with contextlib.suppress(exceptions.AlreadyExists):  # a fold of this interval is queued already
        tasks.fold(_name=f"rollup-fold-{int(time.time() // FOLD_EVERY)}", _countdown=FOLD_EVERY)


RETRIES = 3
"""Deferred retries of a failed refresh; after them, the periodic sweep refreshes the flagged measure."""


def refresh_later(measure_key, attempt: int) -> None:
    from viur.core import current

    from ..modules import tasks

    if current.request.get() is None:
        return  # outside a request a deferred call would run at once, i.e. retry without a pause: leave it to the sweep
    tasks.refresh(measure_key, attempt, _countdown=10 * attempt)


FOLD_EVERY = 2
"""Seconds between folds in production (changes of that interval share one task)."""


def child_keys(milestones: t.Iterable[t.Any], kpis: t.Iterable[t.Any]) -> list[str]:
    """
    URL-safe keys of a measure's milestones and KPIs, kept on the measure so that its public page fetches them
    by key (one lookup) instead of querying the large milestone and KPI kinds.
    """
    return [child.key.to_legacy_urlsafe().decode() for child in [*milestones, *kpis]]


def _sync_children_visibility(measure_key, milestone_keys: t.Sequence) -> list:
    """Milestones, KPIs and readings are public exactly when their measure is published; returns the KPIs."""
    db = _db()
    measure = db.get(measure_key)
    public = bool(measure) and measure.get("publication") == PublicationState.PUBLISHED
    milestones = list(by_key(db.get(list(milestone_keys))).values()) if milestone_keys else []
    kpis = referencing("kpi", "measure", measure_key).run(limit=1000)
    _sync_visibility([*milestones, *kpis], public)
    return kpis


def _sync_visibility(children: t.Sequence[t.Any], public: bool) -> None:
    """Set ``is_public`` of the children (and of the readings of a KPI that changed) to ``public``."""
    stale = [child.key for child in children if bool(child.get("is_public")) != public]
    for start in range(0, len(stale), 400):
        _set_public(stale[start : start + 400], public)
    # Readings follow their KPI; they only need touching when the KPI's visibility just changed.
    for kpi_key in (key for key in stale if key.kind == "kpi"):
        readings = [found.key for found in referencing("kpi_reading", "kpi", kpi_key).iter(keys_only=True)]
        for start in range(0, len(readings), 400):
            _set_public(readings[start : start + 400], public)


def _set_public(keys: list, public: bool) -> None:
    """Set ``is_public`` of the entities of ``keys`` in a transaction (never undoing an editor's concurrent save)."""
    db = _db()

    def txn() -> None:
        entities = [entity for entity in db.get(keys) if bool(entity.get("is_public")) != public]
        for entity in entities:
            entity["is_public"] = public
        if entities:
            db.put(entities)

    db.run_in_transaction(txn)


def stats() -> dict:
    """The whole roadmap's sums (both scopes), as kept up to date on write."""
    db = _db()
    entity = db.get(db.Key(STATS_KIND, STATS_NAME))
    return stored_json(entity.get("rollup")) if entity else apply_contribution(None, None, 1, 1)


def recompute_all(today: datetime.date | None = None, holder: str = "recompute") -> int:
    """
    Refresh every measure, then rebuild every sum from the measures' contributions (see
    :func:`fahrplan.services.sums.rebuild`). Idempotent, and correct while editors keep saving; the admin's
    "recompute" runs it as a deferred job in chunks (:mod:`fahrplan.services.jobs`). Returns the number of
    measures refreshed.
    """
    from . import history, sums

    db = _db()
    count = 0
    for found in db.Query("measure").iter(keys_only=True):  # keys-only entities, not keys
        refresh_measure(found.key, today, rescan=True)
        history.rebuild_recent(found.key)  # measures stored before their recent public history was kept
        count += 1
    sums.rebuild(holder)
    logging.info(f"roll-up recomputed for {count} measures")
    return count
