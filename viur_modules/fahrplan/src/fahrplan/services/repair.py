"""
One-off repairs of stored data, run by a host's management command (``python -m tools.manage …``).

Each repair reads in pages, reports what it would change (``dry_run``) or writes it, and is idempotent: a second
run finds nothing more to do.
"""

import typing as t

RICH_TEXT = {"measure": ("description",), "goal": ("description",), "programme": ("description",)}
"""Kind → its rich-text bones (see :class:`fahrplan.skeletons.common.RichTextBone`)."""


def resanitise(dry_run: bool = True, page_size: int = 200) -> list[tuple[str, str]]:
    """
    Run every stored rich text through today's allow-list sanitiser.

    Returns ``(url-safe key, bone)`` of every text that changed (or would change with ``dry_run``). Texts are
    rewritten in place: the sanitiser only removes what was never allowed, so no history entry is written.
    """
    from viur.core import db

    from ..skeletons.common import sanitise_html

    changed: list[tuple[str, str]] = []
    for kind, bones in RICH_TEXT.items():
        cursor = None
        while True:
            query = db.Query(kind)
            if cursor:
                query.setCursor(cursor)
            entities = query.run(page_size)
            dirty = []
            for entity in entities:
                for bone in bones:
                    value = entity.get(bone)
                    if isinstance(value, str) and value and (clean := sanitise_html(value)) != value:
                        entity[bone] = clean
                        changed.append((entity.key.to_legacy_urlsafe().decode(), bone))
                        if entity not in dirty:
                            dirty.append(entity)
            if dirty and not dry_run:
                db.put(dirty)
            cursor = query.getCursor()
            if not cursor or len(entities) < page_size:
                break
    return changed


__all__: t.Sequence[str] = ["RICH_TEXT", "resanitise"]
