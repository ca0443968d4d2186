"""The goal tree: ancestors, and re-rolling the measures below a goal whose place or weight changed."""

import typing as t


def ancestor_keys(parent_key) -> list[str]:
    """URL-safe keys of ``parent_key`` and every goal above it (nearest first); stops on cycles."""
    from viur.core import db

    chain: list[str] = []
    key = parent_key
    while key is not None:
        name = key.to_legacy_urlsafe().decode()
        if name in chain:
            break
        chain.append(name)
        entity = db.get(key)
        parent = entity.get("parent") if entity else None
        dest = parent.get("dest") if isinstance(parent, dict) else None
        key = getattr(dest, "key", None)
    return chain


def stored_shape(goal_key) -> tuple[t.Any, ...] | None:
    """What of a stored goal affects roll-ups (parent chain and weight), or None for a new goal."""
    from viur.core import db

    if goal_key is None:
        return None
    entity = db.get(goal_key)
    if entity is None:
        return None
    return tuple(entity.get("ancestor_keys") or []), entity.get("weight")


def refresh_below(goal_key) -> int:
    """Re-apply the contributions of all measures under ``goal_key`` (after its parent or weight changed)."""
    from viur.core import db

    from . import rollup

    name = goal_key.to_legacy_urlsafe().decode()
    goal_keys = {goal_key}
    goal_keys |= {entity.key for entity in db.Query("goal").filter("ancestor_keys =", name).iter()}
    for child in list(goal_keys):
        if child != goal_key:
            stored = db.get(child)
            if stored is not None:
                stored["ancestor_keys"] = ancestor_keys(_parent_key(stored))
                db.put(stored)
    measures = set()
    for key in goal_keys:
        measures |= {found.key for found in rollup.referencing("measure", "goals", key).iter(keys_only=True)}
    for measure in measures:
        rollup.refresh_measure(measure)
    return len(measures)


def _parent_key(entity) -> t.Any:
    parent = entity.get("parent")
    dest = parent.get("dest") if isinstance(parent, dict) else None
    return getattr(dest, "key", None)
