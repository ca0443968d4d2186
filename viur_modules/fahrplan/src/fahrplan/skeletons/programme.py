"""Programmes: the plans the memorandum bundles (Digitale Verwaltung, Digitale Bildung, Smart City, OZG)."""

from viur.core import i18n
from viur.core.bones import JsonBone, StringBone
from viur.core.bones.base import UniqueLockMethod, UniqueValue
from viur.core.skeleton import Skeleton

from ..types import PublicationState
from .common import NumberBone, RichTextBone, VersionBone, publication_bone, url_bone


class ProgrammeAbstractSkel(Skeleton):
    """A bundled plan with its source document; carries the rolled-up progress of its measures."""

    version = VersionBone()
    """Counted up by every save; a save based on an older version is refused (optimistic concurrency)."""

    name = StringBone(
        descr=i18n.translate("fahrplan.bone.name", "Name"),
        required=True,
        searchable=True,
    )

    short_code = StringBone(
        descr=i18n.translate("fahrplan.programme.short_code", "Kürzel (für Links)"),
        required=True,
        unique=UniqueValue(UniqueLockMethod.SameValue, False, "Dieses Kürzel ist bereits vergeben."),
        max_length=40,
    )

    description = RichTextBone(
        descr=i18n.translate("fahrplan.bone.description", "Beschreibung"),
        max_length=20000,
    )

    source_url = url_bone(i18n.translate("fahrplan.programme.source_url", "Quelldokument"))

    sortindex = NumberBone(
        descr=i18n.translate("fahrplan.bone.sortindex", "Reihenfolge"),
        defaultValue=0,
    )

    publication = publication_bone(defaultValue=PublicationState.PUBLISHED.value)

    progress = NumberBone(
        descr=i18n.translate("fahrplan.bone.progress", "Fortschritt (%)"),
        readOnly=True,
        precision=1,
        defaultValue=0,
    )

    rollup = JsonBone(
        descr="Roll-up",
        readOnly=True,
        visible=False,
    )
    """Sums of the measures' weighted progress, kept up to date on write (see services.rollup)."""


class ProgrammeSkel(ProgrammeAbstractSkel):
    kindName = "programme"
