"""Building blocks shared by the skeletons: choice dicts from enums, common bones, validation helpers."""

import datetime
import enum
import math
import typing as t
import zoneinfo

import nh3
from viur.core import i18n
from viur.core.bones import BaseBone, NumericBone, RelationalBone, SelectBone, StringBone, TextBone, UriBone
from viur.core.bones.base import ReadFromClientError, ReadFromClientErrorSeverity

from ..types import ChangedMeanwhile, PublicationState

LOCAL_TZ = zoneinfo.ZoneInfo("Europe/Berlin")


def choices(enum_cls: type[enum.Enum]) -> dict[str, str]:
    """``{value: German label}`` of an enum whose members have a ``label``; keys are what is stored."""
    return {member.value: member.label for member in enum_cls}


class LinesBone(TextBone):
    """
    Plain text whose line breaks matter (a postal address): each line break is kept as ``<br>``, every other
    markup is escaped. viur-core's text sanitiser would otherwise drop the line breaks and glue the lines.
    """

    ONLY_BREAKS = {"validTags": ["br"], "validAttrs": {}, "validStyles": [], "validClasses": [], "singleTags": ["br"]}

    def __init__(self, **kwargs: t.Any):
        super().__init__(validHtml=self.ONLY_BREAKS, **kwargs)

    def singleValueFromClient(self, value, skel, bone_name, client_data):
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").strip().replace("\n", "<br>")
        return super().singleValueFromClient(value, skel, bone_name, client_data)


class NumberBone(NumericBone):
    """
    A number that may be absent: an empty field is stored as ``None`` ("no value"), never as ``0``.

    viur-core's NumericBone treats every value it cannot parse as empty and stores its empty value ``0``. The
    ViUR admin posts an empty number field as the string ``null``, so a save turned every unset budget,
    coordinate or manual progress into a real 0. Here ``None``, ``""``, ``null``/``none``/``undefined`` are
    "no value", ``0`` is a value, and anything else that is not a finite number in range is a field error.
    """

    EMPTY_INPUTS = frozenset({"", "null", "none", "undefined"})

    def getEmptyValue(self) -> None:
        return None

    def isEmpty(self, value: t.Any) -> bool:
        if value is None:
            return True
        return isinstance(value, str) and value.strip().lower() in self.EMPTY_INPUTS

    def singleValueFromClient(self, value, skel, bone_name, client_data):
        if isinstance(value, str):
            value = value.strip()
            try:
                number = float(value.replace(",", ".", 1))
            except ValueError:
                return None, [field_error(bone_name, "Bitte eine Zahl eingeben.")]
            if not math.isfinite(number):
                return None, [field_error(bone_name, "Bitte eine endliche Zahl eingeben.")]
        elif isinstance(value, float) and not math.isfinite(value):
            return None, [field_error(bone_name, "Bitte eine endliche Zahl eingeben.")]
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            return None, [field_error(bone_name, "Bitte eine Zahl eingeben.")]
        return super().singleValueFromClient(value, skel, bone_name, client_data)


class RelationBone(RelationalBone):
    """
    A relation whose client value must be a well-formed key of its kind. viur-core passes any string to the
    datastore, so ``0`` (no valid id), a negative or too large id, or a key of another kind answered HTTP 500
    ("Key path id is invalid"); here each is a field error.
    """

    MAX_ID = 2**63 - 1

    def singleValueFromClient(self, value, skel, bone_name, client_data):
        dest = value.get("key") if isinstance(value, dict) else value
        if isinstance(dest, str) and dest and not self.well_formed(dest):
            return self.getEmptyValue(), [
                ReadFromClientError(ReadFromClientErrorSeverity.Invalid, "Ungültiger Verweis: kein Eintrag dieser Art.")
            ]
        return super().singleValueFromClient(value, skel, bone_name, client_data)

    def well_formed(self, text: str) -> bool:
        from viur.core import db

        try:
            key = db.key_helper(text, self.kind)
        except Exception:  # viur-core raises ValueError, the datastore client TypeError or binascii errors
            return False
        if key.kind != self.kind:
            return False
        ident = key.id_or_name
        return 0 < ident <= self.MAX_ID if isinstance(ident, int) else bool(ident)


class VersionBone(NumericBone):
    """
    The version an entry was read at: optimistic concurrency for every save.

    Every write stores the next version (in its transaction, see :meth:`performMagic`). The edit form carries the
    version it was loaded at (the bone is hidden but not read-only, so the ViUR admin posts it back); a save based
    on an older version than the stored one is refused, naming who saved the newer one and when, so that no
    save silently undoes another. A client that does not send a version is checked against the version its own
    request read (which protects the request, not the editor's whole session).
    """

    BY = "version_by"
    AT = "version_at"
    """Raw properties beside the version: who wrote it and when (for the refusal's message)."""

    def __init__(self, **kwargs: t.Any):
        super().__init__(
            descr="Version",
            visible=False,
            readOnly=False,
            defaultValue=0,
            precision=0,
            min=0,
            max=2**53,
            **kwargs,
        )

    def fromClient(self, skel, name, data):
        errors = super().fromClient(skel, name, data)
        if errors or name not in data:
            return errors
        if conflict := self.conflict(skel.dbEntity, name, skel[name]):
            return [ReadFromClientError(ReadFromClientErrorSeverity.Invalid, conflict.message)]
        return []

    def performMagic(self, skel, name, isAdd):
        """Within the write's transaction: refuse a stale save, then count the version up."""
        stored = skel.dbEntity.get(name)
        # viur-core retries a collided transaction with the same accessed values, in which the first attempt
        # already counted the version up: the version this save is based on is kept aside once.
        sent = skel.accessedValues.setdefault(f"_{name}_based_on", skel.accessedValues.get(name, stored))
        if not isAdd and (conflict := self.conflict(skel.dbEntity, name, sent)):
            raise conflict
        skel.accessedValues[name] = int(stored or 0) + 1
        from viur.core import current

        user = current.user.get()
        skel.dbEntity[self.BY] = user["name"] if user else "System"
        skel.dbEntity[self.AT] = datetime.datetime.now(datetime.UTC)
        skel.dbEntity.exclude_from_indexes = set(skel.dbEntity.exclude_from_indexes) | {self.BY, self.AT}

    def conflict(self, stored_entity: t.Mapping | None, name: str, sent: t.Any) -> ChangedMeanwhile | None:
        """The refusal when ``sent`` is not the stored version (None when it is, or nothing is stored yet)."""
        stored = (stored_entity or {}).get(name)
        if stored is None or sent in (None, ""):
            return None
        try:
            if int(sent) == int(stored):
                return None
        except (TypeError, ValueError):
            pass
        at = (stored_entity or {}).get(self.AT) or (stored_entity or {}).get("changedate")
        when = at.astimezone(LOCAL_TZ).strftime("%d.%m.%Y um %H:%M Uhr") if at else None
        return ChangedMeanwhile(int(stored), str(sent), (stored_entity or {}).get(self.BY), when)


RICH_TEXT_TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p"}
    | {"pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul"}
)
RICH_TEXT_ATTRIBUTES = {
    "a": {"href", "title", "hreflang", "lang"},
    "abbr": {"title", "lang"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "p": {"lang"},
}
RICH_TEXT_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
"""Link schemes rich text may use; relative links are kept too. Anything else (``javascript:`` however it is
spelled with entities or control characters, ``data:``, ``vbscript:``) loses its ``href``."""


def sanitise_html(text: str) -> str:
    """``text`` reduced to the rich-text allow-list (tags, attributes, URL schemes) by nh3 (the ammonia sanitiser)."""
    return nh3.clean(
        text,
        tags=set(RICH_TEXT_TAGS),
        attributes={tag: set(names) for tag, names in RICH_TEXT_ATTRIBUTES.items()},
        url_schemes=set(RICH_TEXT_SCHEMES),
        link_rel="noopener noreferrer",
    )


class RichTextBone(TextBone):
    """
    Rich text (descriptions, targets): viur-core's TextBone, and then an allow-list sanitiser over its result.

    viur-core's own sanitiser let ``<a href="java&#x09;script:…">`` and ``data:`` links through; every rich-text
    bone of the package uses this bone, and ``python -m tools.manage resanitise`` cleans texts stored before.
    """

    def singleValueFromClient(self, value, skel, bone_name, client_data):
        result, errors = super().singleValueFromClient(value, skel, bone_name, client_data)
        if isinstance(result, str) and result:
            result = sanitise_html(result)
        return result, errors


def publication_bone(**kwargs) -> SelectBone:
    """The moderation state: draft → in review → published."""
    return SelectBone(
        descr=i18n.translate("fahrplan.bone.publication", "Veröffentlichung"),
        values=choices(PublicationState),
        translation_key_prefix="fahrplan.publication.",
        defaultValue=kwargs.pop("defaultValue", PublicationState.DRAFT.value),
        required=True,
        **kwargs,
    )


def url_bone(descr: str, **kwargs) -> UriBone:
    """An absolute http(s) link; malformed URLs are a field error."""
    return UriBone(
        descr=descr,
        accepted_protocols=("http", "https"),
        **kwargs,
    )


def weight_bone(**kwargs) -> NumberBone:
    """A relative weight for roll-ups (0 excludes the entry)."""
    return NumberBone(
        descr=i18n.translate("fahrplan.bone.weight", "Gewichtung"),
        min=0,
        max=100,
        precision=1,
        defaultValue=kwargs.pop("defaultValue", 1),
        required=True,
        **kwargs,
    )


def reason_bone() -> StringBone:
    """
    The reason of this change, stored in the change history (not on the entity itself).

    Required by the skeleton's validation when a status, a progress-relevant date or a KPI target changes.
    """
    return StringBone(
        descr=i18n.translate("fahrplan.bone.change_reason", "Begründung der Änderung"),
        params={"tooltip": "Pflicht bei Änderungen von Status, Terminen und Zielwerten; erscheint in der Historie."},
        max_length=1000,
    )


def field_error(bone: str, message: str) -> ReadFromClientError:
    """A validation error attached to ``bone``."""
    return ReadFromClientError(ReadFromClientErrorSeverity.Invalid, message, [bone], [bone])


def add_errors(skel: t.Any, errors: list[ReadFromClientError]) -> bool:
    """Attach ``errors`` to ``skel``; returns whether there were none."""
    skel.errors.extend(errors)
    return not errors


def checked_from_client(
    read: t.Callable[..., bool],
    skel: t.Any,
    data: dict,
    watched: t.Sequence[str],
    check: t.Callable[[t.Any, t.Mapping | None, t.Sequence[str]], list[tuple[str, str]]],
    **kwargs: t.Any,
) -> bool:
    """
    ``fromClient`` with the domain's cross-field rules: remember the ``watched`` bones of a stored entry, let
    viur-core ``read`` the client's values, then attach ``check(skel, before, watched)``'s ``(bone, message)``
    errors. Returns whether the skeleton is complete and valid.
    """
    before = {bone: skel[bone] for bone in watched} if skel["key"] else None
    complete = read(skel, data, **kwargs)
    return add_errors(skel, [field_error(bone, message) for bone, message in check(skel, before, watched)]) and complete


__all__ = [
    "BaseBone",
    "LinesBone",
    "NumberBone",
    "RelationBone",
    "RichTextBone",
    "VersionBone",
    "sanitise_html",
    "add_errors",
    "checked_from_client",
    "choices",
    "field_error",
    "publication_bone",
    "reason_bone",
    "url_bone",
]
