"""Departments (Dezernat → Fachbereich/Amt → Team): who leads and takes part in measures."""

from viur.core import i18n
from viur.core.bones import EmailBone, PhoneBone, SelectBone, StringBone, TextBone
from viur.core.bones.base import UniqueLockMethod, UniqueValue
from viur.core.skeleton import Skeleton

from .common import LinesBone, RelationBone, VersionBone, url_bone

LEVELS = {"dezernat": "Dezernat", "fachbereich": "Fachbereich / Amt", "team": "Team"}


class DepartmentAbstractSkel(Skeleton):
    """A unit of the city administration, with the public contact data of the analogue channel."""

    version = VersionBone()
    """Counted up by every save; a save based on an older version is refused (optimistic concurrency)."""

    name = StringBone(
        descr=i18n.translate("fahrplan.bone.name", "Name"),
        required=True,
        searchable=True,
    )

    short_code = StringBone(
        descr=i18n.translate("fahrplan.department.short_code", "Kürzel"),
        required=True,
        unique=UniqueValue(UniqueLockMethod.SameValue, False, "Dieses Kürzel ist bereits vergeben."),
        max_length=20,
    )

    level = SelectBone(
        descr=i18n.translate("fahrplan.department.level", "Ebene"),
        values=LEVELS,
        defaultValue="fachbereich",
        required=True,
    )

    parent = RelationBone(
        descr=i18n.translate("fahrplan.department.parent", "Übergeordnete Einheit"),
        kind="department",
        module="department",
        refKeys={"name", "short_code"},
    )

    description = TextBone(
        descr=i18n.translate("fahrplan.bone.description", "Beschreibung"),
        validHtml=None,
        max_length=2000,
    )

    email = EmailBone(
        descr=i18n.translate("fahrplan.bone.public_email", "Öffentliche E-Mail"),
    )

    phone = PhoneBone(
        descr=i18n.translate("fahrplan.bone.public_phone", "Öffentliches Telefon"),
        max_length=20,
    )

    postal_address = LinesBone(
        descr=i18n.translate("fahrplan.bone.postal_address", "Postanschrift"),
        max_length=500,
    )

    website = url_bone(i18n.translate("fahrplan.bone.website", "Website"))


class DepartmentSkel(DepartmentAbstractSkel):
    kindName = "department"
