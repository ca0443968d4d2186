"""Users: the package's user module, as every host mounts it."""

from fahrplan.modules.user import User

__all__ = ["User"]
