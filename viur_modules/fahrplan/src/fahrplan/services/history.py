"""
Change history: who changed what (old → new), when, and why — for measures, milestones and KPIs.

Every write of a tracked skeleton goes through :func:`recording`, which compares the stored values with
the new ones and appends one ``change`` entity per save (none when nothing changed): the public changes in
``changes``, those of internal bones in ``internal_changes`` (staff only). Entries are never deleted and
their changes never rewritten, so history survives any later change (and the deletion of the entity itself).
Only their visibility follows the measure: its history is public while it is published
(:func:`follow_publication`).
"""

import contextlib
import datetime
import html
import json
import logging
import re
import typing as t

from ..types import PublicationState

PUBLISHED = PublicationState.PUBLISHED.value

RECENT_KIND = "fahrplan_recent_history"
"""One entity per measure (same id as the measure): its newest public history entries, as the page shows them."""

RECENT_SIZE = 20
"""Public history entries a measure page shows (the measure's history page has all of them)."""

RECENT_CHANGES = 6
"""Changes per entry the measure page shows (the history page shows all of them)."""

SKIPPED_BONES = {"key", "creationdate", "changedate", "viurCurrentSeoKeys", "change_reason"}
MAX_TEXT = 300

INTERNAL_BONES: dict[str, frozenset[str]] = {}
"""Kind → bones only staff may read; their old → new values never go into a public history entry."""


def declare_internal(kind: str | None, bones: t.Iterable[str]) -> None:
    """Register the internal bones of ``kind`` (the modules do this for their ``internal_bones``)."""
    if kind:
        INTERNAL_BONES[kind] = frozenset(bones)


def display(value: t.Any, labels: t.Mapping[str, str] | None = None) -> str:
    """A short, human-readable text for a stored bone value (used for old → new)."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if isinstance(value, datetime.datetime):
        from .rollup import local_date

        return local_date(value).strftime("%d.%m.%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, (list, tuple)):
        return ", ".join(filter(None, (display(item, labels) for item in value)))
    if isinstance(value, dict) or hasattr(value, "keys"):
        if "dest" in value.keys():
            dest = value["dest"]
            return str(dest["name"]) if dest and "name" in dest.keys() and dest["name"] else ""
        if "state" in value.keys():
            parts = [display(value["state"], labels)]
            parts += [
                str(value[k])
                for k in ("evidence_url", "note", "licence", "repository_url")
                if k in value.keys() and value[k]
            ]
            return " – ".join(filter(None, parts))
        return ", ".join(f"{k}: {display(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if labels and text in labels:
        return str(labels[text])
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def diff(
    old: t.Mapping[str, str] | None, new: t.Mapping[str, str], labels: t.Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """The bones whose displayed value differs: ``[{"bone", "label", "old", "new"}]`` (all of them for a new entity)."""
    changes = []
    for bone, new_value in new.items():
        old_value = (old or {}).get(bone, "")
        if old is not None and old_value == new_value:
            continue
        if old is None and not new_value:
            continue
        changes.append({"bone": bone, "label": (labels or {}).get(bone, bone), "old": old_value, "new": new_value})
    return changes


def snapshot(skel: t.Any, hidden: t.Collection = ()) -> tuple[dict[str, str], dict[str, str]]:
    """Displayed values of a skeleton's editable bones, and their labels; references to ``hidden`` keys left out."""
    from .publication import guarded_bones, public_value

    guarded = set(guarded_bones(skel)) if hidden else set()
    values, labels = {}, {}
    for name, bone in skel.items():
        if name in SKIPPED_BONES or bone.readOnly or not bone.visible:
            continue
        choice_labels = None
        if hasattr(bone, "values") and isinstance(getattr(bone, "_values", None), dict):
            choice_labels = {str(k): str(v) for k, v in bone._values.items()}
        value = public_value(skel[name], set(hidden)) if name in guarded else skel[name]
        values[name] = display(value, choice_labels)
        labels[name] = str(bone.descr)
    return values, labels


def public_snapshots(*skels: t.Any) -> list[dict[str, str] | None]:
    """
    What the public may read of each skeleton's values (None stays None): without the names of unpublished
    goals and programmes, which the public never reads (see :mod:`fahrplan.services.publication`).
    """
    from .publication import referenced_keys, unpublished

    hidden = unpublished(key for skel in skels if skel is not None for key in referenced_keys(skel))
    return [snapshot(skel, hidden)[0] if skel is not None else None for skel in skels]


def user_name(user: t.Any) -> str:
    """How the history (and the review) names a user: ``First Last (login)``, or the login; ``System`` for none."""
    if not user:
        return "System"
    full = " ".join(filter(None, (user["firstname"], user["lastname"])))
    return f"{full} ({user['name']})" if full else str(user["name"])


def _current_user() -> tuple[t.Any, str]:
    from viur.core import current

    user = current.user.get()
    return (user["key"] if user else None), user_name(user)


def _measure_of(skel: t.Any, kind: str):
    if kind == "measure":
        return skel["key"]
    if kind == "kpi" and not skel["measure"] and skel["goal"]:
        return None
    value = skel["measure"] if "measure" in skel else None
    return value["dest"]["key"] if value else None


def _is_public(measure_key, skel: t.Any, kind: str) -> bool:
    from viur.core import db

    if kind == "measure":
        return skel["publication"] == PUBLISHED
    if measure_key is None:
        return False
    entity = db.get(measure_key)
    return bool(entity) and entity.get("publication") == PUBLISHED


@contextlib.contextmanager
def recording(skel: t.Any, kind: str) -> t.Iterator[None]:
    """Around a skeleton's write: record the change (with the reason the editor gave) afterwards."""
    reason = ""
    if "change_reason" in skel:
        reason = (skel["change_reason"] or "").strip()
        skel["change_reason"] = None  # a reason belongs to one change, not to the entity
    old = stored = None
    was_published = False
    if skel["key"]:
        stored = skel.skeletonCls()
        if stored.read(skel["key"]):
            old, _ = snapshot(stored)
            was_published = kind == "measure" and stored["publication"] == PUBLISHED
        else:
            stored = None
    yield
    new, labels = snapshot(skel)
    changes = diff(old, new, labels)
    if old is not None and kind == "measure" and was_published != (skel["publication"] == PUBLISHED):
        follow_publication(skel["key"], published=not was_published)
    if old is not None and not changes:
        return
    old_public, new_public = public_snapshots(stored, skel)
    public_changes = diff(old_public, new_public, labels)
    _write(skel, kind, "added" if old is None else "edited", changes, public_changes, reason)


def follow_publication(measure_key, published: bool, batch: int = 400) -> int:
    """
    A measure's history is public only while the measure is published: set back to draft (or review), its
    entries leave public view; published again, the entries that were public (``publishable``) are back.
    Entries written while it was not published stay internal. Returns the number of entries changed.
    """
    from viur.core import db

    urlsafe = measure_key.to_legacy_urlsafe().decode()
    query = db.Query("change").filter("measure_key =", urlsafe)
    query = query.filter("publishable =", True) if published else query.filter("is_public =", True)
    keys = [entity.key for entity in query.iter(keys_only=True)]

    def txn(chunk: list) -> int:
        entities = [entity for entity in db.get(chunk) if entity and bool(entity.get("is_public")) != published]
        for entity in entities:
            entity["is_public"] = published
            entity["publishable"] = True  # entries from before ``publishable`` existed: they were public
        if entities:
            db.put(entities)
        return len(entities)

    changed = sum(db.run_in_transaction(txn, keys[start : start + batch]) for start in range(0, len(keys), batch))
    rebuild_recent(measure_key)
    return changed


# ------------------------------------------------------------------------------
# The recent public history, kept with the measure
#


def recent_key(measure_key) -> t.Any:
    """The key of the entity that keeps the newest public history entries of ``measure_key``."""
    from viur.core import db

    return db.Key(RECENT_KIND, measure_key.id_or_name)


def recent_item(entry: t.Mapping[str, t.Any], key: t.Any, date: datetime.datetime) -> dict:
    """What the measure page shows of a public history entry (its values are public-safe already)."""
    changes = entry.get("changes") or []
    if isinstance(changes, str):
        changes = json.loads(changes) if changes else []
    return {
        "key": key.to_legacy_urlsafe().decode() if key else "",
        "date": date.isoformat(),
        "action": entry.get("action") or "",
        "entity_kind": entry.get("entity_kind") or "",
        "entity_name": entry.get("entity_name") or "",
        "reason": entry.get("reason") or "",
        "changes": [
            {name: change.get(name, "") for name in ("bone", "label", "old", "new")}
            for change in changes[:RECENT_CHANGES]
            if isinstance(change, dict)
        ],
    }


def _store_recent(measure_key, items: list[dict]) -> None:
    from viur.core import db

    entity = db.Entity(recent_key(measure_key), exclude_from_indexes=("entries",))
    entity["measure_key"] = measure_key.to_legacy_urlsafe().decode()
    entity["entries"] = json.dumps(items[:RECENT_SIZE], ensure_ascii=False)
    db.put(entity)


def _prepend_recent(measure_key, item: dict) -> None:
    """Put ``item`` first in the measure's recent public history (inside the transaction of its entry)."""
    from viur.core import db

    stored = db.get(recent_key(measure_key))
    items = json.loads(stored["entries"]) if stored and stored.get("entries") else []
    _store_recent(measure_key, [item, *(other for other in items if other.get("key") != item["key"])])


def recent(entity: t.Any) -> list[dict]:
    """The recent public history a stored recent-history entity holds, newest first (dates as datetimes)."""
    try:
        items = json.loads(entity["entries"]) if entity and entity.get("entries") else []
    except ValueError:
        return []
    for item in items:
        item["date"] = datetime.datetime.fromisoformat(item["date"]) if item.get("date") else None
    return items


def forget_recent(measure_key) -> None:
    """Delete a deleted measure's recent public history (its entries stay in the history)."""
    from viur.core import db

    db.delete(recent_key(measure_key))


def rebuild_recent(measure_key) -> None:
    """
    Derive a measure's recent public history from its entries (one query): after its publication changed, for
    measures stored before it was kept, and when an entry could not update it in its own transaction.
    """
    from viur.core import db

    urlsafe = measure_key.to_legacy_urlsafe().decode()
    entries = (
        db.Query("change")
        .filter("measure_key =", urlsafe)
        .filter("is_public =", True)
        .order(("creationdate", db.SortOrder.Descending))
        .run(limit=RECENT_SIZE)
    )
    items = [recent_item(entry, entry.key, entry["creationdate"]) for entry in entries]
    if items:
        _store_recent(measure_key, items)
    else:
        forget_recent(measure_key)


def record_deletion(skel: t.Any, kind: str) -> None:
    """Record that an entity was deleted (its last values stay readable in the history)."""
    values, labels = snapshot(skel)
    (public,) = public_snapshots(skel)
    changes = [{"bone": k, "label": labels[k], "old": v, "new": ""} for k, v in values.items() if v]
    public_changes = [{"bone": k, "label": labels[k], "old": v, "new": ""} for k, v in public.items() if v]
    _write(skel, kind, "deleted", changes, public_changes, "")


def _write(skel: t.Any, kind: str, action: str, changes: list[dict], public_changes: list[dict], reason: str) -> None:
    """
    Append the save's one history entry: ``public_changes`` (what the public may read: changes as they read
    without unpublished goals and programmes) of public bones in its ``changes``, the rest of ``changes``
    (internal bones, changes naming unpublished entries) in its ``internal_changes`` (staff only). An entry of a
    public entity with no public change left (an edit of internal bones only) is not public.
    """
    measure_key = _measure_of(skel, kind)
    internal = INTERNAL_BONES.get(kind, frozenset())
    visible = [change for change in public_changes if change["bone"] not in internal]
    hidden = [change for change in changes if change["bone"] in internal or change not in visible]
    public = _is_public(measure_key, skel, kind) and bool(visible or action != "edited")
    _put(skel, kind, measure_key, action, visible, hidden, reason, public=public)


def title(skel: t.Any, kind: str) -> str:
    """What the history calls an entity: its title; a reading by its KPI, date and value."""
    if kind == "kpi_reading":
        kpi = skel["kpi"]["dest"] if skel["kpi"] else None
        unit = str(kpi["unit"] or "") if kpi and "unit" in kpi else ""
        value = " ".join(filter(None, (display(skel["value"]), unit)))
        return f"{str(kpi['name'] or '') if kpi else ''}: {display(skel['date'])} – {value}"
    return str(skel["name"] or "")


def _put(
    skel: t.Any,
    kind: str,
    measure_key,
    action: str,
    changes: list[dict],
    internal_changes: list[dict],
    reason: str,
    public: bool,
) -> None:
    from viur.core import skeleton

    user_key, user_name = _current_user()
    entry = skeleton.skeletonByKind("change")()
    entry["entity_kind"] = kind
    entry["entity_key"] = skel["key"].to_legacy_urlsafe().decode() if skel["key"] else ""
    entry["entity_name"] = title(skel, kind)
    entry["measure_key"] = measure_key.to_legacy_urlsafe().decode() if measure_key else ""
    entry["action"] = action
    entry["changes"] = changes
    entry["internal_changes"] = internal_changes
    entry["reason"] = reason
    entry["user_name"] = user_name
    entry["user_key"] = user_key.to_legacy_urlsafe().decode() if user_key else ""
    entry["is_public"] = public
    entry["publishable"] = public
    if not public or measure_key is None:
        entry.write()
        return

    def txn() -> None:
        entry.write()
        date = entry["creationdate"] or datetime.datetime.now(datetime.UTC)
        values = {name: entry[name] for name in ("action", "entity_kind", "entity_name", "reason", "changes")}
        _prepend_recent(measure_key, recent_item(values, entry["key"], date))

    from viur.core import db

    try:
        db.run_in_transaction(txn)
    except RuntimeError as exc:  # every attempt collided with another entry of the same measure
        if str(exc) != "Maximum transaction retries exceeded":
            raise
        logging.warning(f"recent history of {measure_key!r} rebuilt after a collision")
        entry["key"] = None
        entry.write()
        rebuild_recent(measure_key)
