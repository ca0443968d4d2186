"""Users: the package's user module (roadmap roles; management below root never touches root)."""

from fahrplan.modules.user import User

__all__ = ["User"]
