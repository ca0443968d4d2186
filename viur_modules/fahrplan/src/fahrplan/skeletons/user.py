"""The user skeleton: viur-core's, plus the departments an editor works for."""

from viur.core import i18n
from viur.core.bones import RelationalBone
from viur.core.modules.user import UserSkel as CoreUserSkel


class UserSkel(CoreUserSkel):
    """Users; ``departments`` binds an ``editor`` to the measures their departments lead."""

    kindName = "user"

    departments = RelationalBone(
        descr=i18n.translate("fahrplan.user.departments", "Ämter (für Redakteure)"),
        kind="department",
        module="department",
        multiple=True,
        refKeys={"name", "short_code"},
    )
