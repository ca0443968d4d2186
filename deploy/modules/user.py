"""Users: viur-core's user module with this project's roles."""

from viur.core import current, errors
from viur.core.modules.user import User as CoreUser
from viur.core.skeleton import SkeletonInstance

from fahrplan.services import rights


class User(CoreUser):
    """
    The user module, routed for the vi and json renders.

    Roles (``conf.user.roles`` in ``main.py``) map to rights here and in each module's ``roles``:
    ``root`` gets the ``root`` flag; every role may use the admin (``admin`` flag); root and the CIIO
    office manage users, but only root may grant the root role.
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

    def onAdd(self, skel: SkeletonInstance) -> None:
        self._guard_root(skel)
        super().onAdd(skel)

    def onEdit(self, skel: SkeletonInstance) -> None:
        self._guard_root(skel)
        super().onEdit(skel)

    def _guard_root(self, skel: SkeletonInstance) -> None:
        wants_root = "root" in (skel["roles"] or []) or "root" in (skel["access"] or [])
        if wants_root and not rights.is_root(current.user.get()):
            raise errors.Forbidden("Only root may grant the root role.")
