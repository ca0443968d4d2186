"""Users: viur-core's user module with the package's roles (the package ships no user module yet)."""

from viur.core.modules.user import User as CoreUser


class User(CoreUser):
    """Maps the roles of ``conf.user.roles`` to viur-core's global flags; module ``roles`` add the rest."""

    def get_role_defaults(self, role: str) -> set[str]:
        match role:
            case "root":
                return {"root", "admin", "scriptor"}
            case "ciio" | "editor" | "committee":
                return {"admin"}
        return set()
