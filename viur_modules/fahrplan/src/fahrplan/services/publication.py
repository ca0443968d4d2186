"""
What the public may read of the entries an entity references: goals and programmes only when published.

A published measure may point to a draft goal or programme (the editor picks it before the CIIO office
publishes it). Every public surface drops such references: the measure's JSON view and list
(:meth:`fahrplan.modules.base.RoadmapList.view`), the portal's pages (:mod:`fahrplan.services.portal`, by the
reference data) and the public part of a history entry (:mod:`fahrplan.services.history`).
"""

import typing as t

from ..types import PublicationState
from .rollup import by_key

PUBLICATION_KINDS = frozenset({"goal", "programme"})
"""Kinds whose entries have drafts: a reference to one is public only while it is published."""

PUBLISHED = PublicationState.PUBLISHED.value


def is_published(entry: t.Any) -> bool:
    """Whether a stored entity or a skeleton (or None) is published."""
    if entry is None:
        return False
    try:
        return entry["publication"] == PUBLISHED
    except KeyError:
        return False


def dest_key(value: t.Any) -> t.Any:
    """The key a relational bone value of a skeleton points to (or None)."""
    dest = value.get("dest") if value else None
    if dest is None:
        return None
    try:
        return dest["key"]
    except KeyError:
        return None


def guarded_bones(skel: t.Any) -> list[str]:
    """The relational bones of ``skel`` that point to a kind with drafts."""
    from viur.core.bones import RelationalBone

    return [
        name
        for name, bone in skel.items()
        if isinstance(bone, RelationalBone) and getattr(bone, "kind", None) in PUBLICATION_KINDS
    ]


def referenced_keys(skel: t.Any) -> list:
    """The keys of goals and programmes ``skel`` references."""
    keys = []
    for name in guarded_bones(skel):
        value = skel[name]
        for item in value if isinstance(value, list) else [value] if value else []:
            if (key := dest_key(item)) is not None:
                keys.append(key)
    return keys


def unpublished(keys: t.Iterable[t.Any]) -> set:
    """Those of ``keys`` (goals and programmes) that are not published or gone (one batch lookup)."""
    from viur.core import db

    wanted = list({key for key in keys if key is not None and key.kind in PUBLICATION_KINDS})
    if not wanted:
        return set()
    found = by_key(db.get(wanted))
    return {key for key in wanted if key not in found or found[key].get("publication") != PUBLISHED}


def public_value(value: t.Any, hidden: set) -> t.Any:
    """A relational value without its references to ``hidden`` keys (a single one becomes None)."""
    if isinstance(value, list):
        return [item for item in value if dest_key(item) not in hidden]
    return None if value and dest_key(value) in hidden else value


def redact(skels: t.Iterable[t.Any]) -> None:
    """Drop every reference to an unpublished goal or programme from ``skels`` (in place, before rendering)."""
    skels = list(skels)
    hidden = unpublished(key for skel in skels for key in referenced_keys(skel))
    if not hidden:
        return
    for skel in skels:
        for name in guarded_bones(skel):
            skel[name] = public_value(skel[name], hidden)
