"""The user skeleton: viur-core's, plus the departments an editor works for."""

from viur.core import conf, i18n
from viur.core.bones import SelectBone
from viur.core.modules.user import UserSkel as CoreUserSkel

from .common import RelationBone


class UserSkel(CoreUserSkel):
    """Users; ``departments`` binds an ``editor`` to the measures their departments lead."""

    kindName = "user"

    roles = SelectBone(
        descr=i18n.translate("viur.core.modules.user.bone.roles", defaultText="Roles"),
        values=lambda: conf.user.roles,
        multiple=True,
        defaultValue=[],
    )
    """viur-core preselects the first configured role (``root``) in the admin's add form; a new user here
    starts with no role at all, so no right is ever granted by leaving a form unchanged."""

    departments = RelationBone(
        descr=i18n.translate("fahrplan.user.departments", "Ämter (für Redakteure)"),
        kind="department",
        module="department",
        multiple=True,
        refKeys={"name", "short_code"},
    )
