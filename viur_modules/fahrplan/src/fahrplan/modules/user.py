"""Users: viur-core's user module with the roadmap's roles, ready to mount for every host city."""

from viur.core import current, errors
from viur.core.modules.user import User as CoreUser
from viur.core.skeleton import SkeletonInstance

from ..services import rights


def holds_root(skel: SkeletonInstance) -> bool:
    """Whether a user entry carries the root role or the root flag."""
    return "root" in (skel["roles"] or []) or "root" in (skel["access"] or [])


class User(CoreUser):
    """
    The user module, routed for the vi and json renders.

    Roles (``conf.user.roles`` of the host) map to rights here and in each module's ``roles``: ``root`` gets the
    ``root`` flag; every role may use the admin (``admin`` flag); root and the CIIO office manage users. User
    management below root never touches root: only root grants the root role and only root edits, clones or
    deletes a root user.
    """

    json = True

    roles = {
        "ciio": "*",
    }

    def get_role_defaults(self, role: str) -> set[str]:
        """The global flags a role carries, on top of the per-module rights."""
        match role:
            case "root":
                return {"root", "admin", "scriptor"}
            case "ciio" | "editor" | "committee":
                return {"admin"}
        return set()

    def may_manage(self, skel: SkeletonInstance) -> bool:
        """Root manages everyone; everyone else only users without root."""
        return rights.is_root(current.user.get()) or not holds_root(skel)

    def canEdit(self, skel: SkeletonInstance) -> bool:
        return super().canEdit(skel) and self.may_manage(skel)

    def canDelete(self, skel: SkeletonInstance) -> bool:
        return super().canDelete(skel) and self.may_manage(skel)

    def onAdd(self, skel: SkeletonInstance) -> None:
        self._guard_root(skel)
        super().onAdd(skel)

    def onEdit(self, skel: SkeletonInstance) -> None:
        self._guard_root(skel)
        super().onEdit(skel)

    def onClone(self, skel: SkeletonInstance, src_skel: SkeletonInstance) -> None:
        self._guard_root(skel)
        super().onClone(skel, src_skel=src_skel)

    def _guard_root(self, skel: SkeletonInstance) -> None:
        if holds_root(skel) and not rights.is_root(current.user.get()):
            raise errors.Forbidden("Nur Root darf die Root-Rolle vergeben.")
