"""
Pending revisions (see :mod:`fahrplan.services.review`): the CIIO office's inbox of editors' changes to published
entries. The office accepts or rejects one by setting its decision in the admin's edit form; editors see their own
proposals, the committee reads all of them, the public none.
"""

import typing as t

from viur.core import conf, current, db, errors
from viur.core.prototypes import List
from viur.core.skeleton import SkeletonInstance

from ..services import review as service
from ..services import rights


class Revision(List):
    kindName = "fahrplan_revision"
    json = True
    default_order = ("creationdate", db.SortOrder.Descending)
    roles = {
        "ciio": ("view", "edit"),
        "editor": ("view",),
        "committee": ("view",),
    }

    adminInfo = {
        "name": "Freigaben",
        "icon": "inbox",
        "moduleGroup": "roadmap",
        "sortIndex": 5,
        "columns": ["creationdate", "entity_kind", "entity_name", "action", "author_name", "state", "decided_by"],
        "filter": {"state": "pending"},
        "views": [
            {"name": "Wartet auf Freigabe", "icon": "hourglass", "filter": {"state": "pending"}},
            {"name": "Entschieden", "icon": "check2", "filter": {"state": "accepted"}},
            {"name": "Abgelehnt", "icon": "x-circle", "filter": {"state": "rejected"}},
        ],
        "disabledActions": ["add", "clone", "delete"],
    }

    # --- Who sees what ------------------------------------------------------------------------

    @staticmethod
    def reads_all(user: t.Any) -> bool:
        return rights.can_publish(user) or "committee" in rights.roles(user)

    def listFilter(self, query: db.Query) -> db.Query | None:
        user = current.user.get()
        if self.reads_all(user):
            return query
        if user and rights.has_right(user, self.moduleName, "view"):
            return query.filter("author_key =", service.user_ref(user)[0])
        return None

    def canView(self, skel: SkeletonInstance) -> bool:
        user = current.user.get()
        if self.reads_all(user):
            return True
        return (
            bool(user)
            and rights.has_right(user, self.moduleName, "view")
            and (skel["author_key"] == service.user_ref(user)[0])
        )

    def canAdd(self) -> bool:
        return False

    def canDelete(self, skel: SkeletonInstance) -> bool:
        return False

    def canEdit(self, skel: SkeletonInstance) -> bool:
        return rights.can_publish(current.user.get()) and skel["state"] == "pending"

    # --- The decision -------------------------------------------------------------------------

    def onEdit(self, skel: SkeletonInstance) -> None:
        """Accepting writes the proposed values onto the entry (through its module); rejecting writes nothing."""
        decision, user = skel["decision"], current.user.get()
        if decision == "accepted":
            module = target_module(skel["target_module"])
            try:
                service.apply(skel, module, user)
            except service.NotApplicable as exc:
                raise errors.HTTPException(status=409, name="Conflict", descr=str(exc)) from exc
        if decision in ("accepted", "rejected"):
            service.decided(skel, decision, user)
        super().onEdit(skel)


def target_module(name: str) -> t.Any:
    """The mounted module of the host app a revision belongs to (its hooks and rights apply on acceptance)."""
    module = getattr(conf.main_app, name, None) if name else None
    if module is None:
        raise errors.HTTPException(status=409, name="Conflict", descr=f"Das Modul {name!r} gibt es nicht mehr.")
    return module
