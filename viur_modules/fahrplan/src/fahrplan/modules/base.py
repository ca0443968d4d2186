"""The base of the roadmap modules: row-level rights and public visibility for every render."""

import contextlib
import json
import typing as t

from viur.core import current, db, errors, exposed, utils
from viur.core.prototypes import List
from viur.core.skeleton import SkeletonInstance

from ..services import history, portal, publication, review, rights
from ..services.rollup import dest_key
from ..types import ChangedMeanwhile, PendingRevision


class RoadmapList(List):
    """
    A list module whose entries are public only when published and editable per department.

    Subclasses set :attr:`public_bone` (and :attr:`public_value`), list the bones anonymous visitors must
    not see in :attr:`internal_bones`, and say which department leads an entry in :meth:`department_of`.
    """

    json = True

    public_bone: str = "publication"
    """The bone that makes an entry public, when it holds :attr:`public_value`."""

    public_value: t.Any = publication.PUBLISHED

    internal_bones: tuple[str, ...] = ()
    """Bones only users with the module's view right see (stripped from every render for the others)."""

    department_bound: bool = True
    """Whether editors are restricted to entries their departments lead."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        history.declare_internal(cls.kindName, cls.internal_bones)

    roles = {
        "ciio": "*",
        "editor": ("view", "add", "edit"),
        "committee": ("view",),
    }

    # --- Visibility ---------------------------------------------------------------------------

    def reads_internal(self) -> bool:
        return rights.reads_internal(current.user.get(), self.moduleName)

    def viewSkel(self, *args, **kwargs) -> SkeletonInstance:
        if self.internal_bones and not self.reads_internal():
            kwargs["exclude_bones"] = tuple(kwargs.get("exclude_bones", ())) + self.internal_bones
        return super().viewSkel(*args, **kwargs)

    def listFilter(self, query: db.Query) -> db.Query | None:
        if self.reads_internal():
            return query
        return query.filter(f"{self.public_bone} =", self.public_value)

    def canView(self, skel: SkeletonInstance) -> bool:
        return self.reads_internal() or skel[self.public_bone] == self.public_value

    def onView(self, skel: SkeletonInstance) -> None:
        super().onView(skel)
        if not self.reads_internal():
            publication.redact([skel])

    @exposed
    def list(self, *args, **kwargs) -> t.Any:
        """viur-core's list; for the public without references to unpublished goals and programmes."""
        if self.reads_internal():
            return super().list(*args, **kwargs)
        skel = self.viewSkel(allow_client_defined=utils.string.is_prefix(self.render.kind, "json"))
        if not (query := self.listFilter(skel.all().mergeExternalFilter(kwargs))):
            raise errors.Unauthorized()
        self._apply_default_order(query)
        skels = query.fetch()
        publication.redact(skels)
        return self.render.list(skels)

    # --- Changes ------------------------------------------------------------------------------

    @exposed
    def edit(self, *args, **kwargs) -> t.Any:
        """
        viur-core's edit, with the refusal of a save over a newer version (see
        :class:`fahrplan.skeletons.common.VersionBone`) as the ViUR admin shows it: the form comes back with the
        error, plus ``reason`` and ``descr``, which the admin shows as a message. A conflict found only inside the
        write's transaction (a save in the same instant) is answered 409. (viur-core's edit checks the skey.) An
        editor's save of a published entry becomes a pending revision (see :meth:`hold_for_review`).
        """
        if args:
            kwargs.pop("key", None)  # the entry is the one in the URL; a form field "key" changes nothing
        try:
            with conflicts_answered():
                result = super().edit(*args, **kwargs)
        except PendingRevision as pending:
            return with_message(self.render.edit(pending.skel), PENDING_REASON, pending.message, pending.revision_key)
        return with_conflict_message(result)

    @exposed
    def add(self, *args, **kwargs) -> t.Any:
        """viur-core's add; an editor's new entry under a published measure becomes a pending revision."""
        try:
            with conflicts_answered():
                return super().add(*args, **kwargs)
        except PendingRevision as pending:
            return with_message(self.render.add(pending.skel), PENDING_REASON, pending.message, pending.revision_key)

    @exposed
    def clone(self, *args, **kwargs) -> t.Any:
        """viur-core's clone; an editor's clone into a published measure becomes a pending revision (as an add)."""
        try:
            with conflicts_answered():
                return super().clone(*args, **kwargs)
        except PendingRevision as pending:
            answer = self.render.edit(pending.skel, action="clone")
            return with_message(answer, PENDING_REASON, pending.message, pending.revision_key)

    @exposed
    def delete(self, *args, **kwargs) -> t.Any:
        """viur-core's delete; a deletion whose transaction collided every time is answered 409, not 500."""
        with conflicts_answered():
            return super().delete(*args, **kwargs)

    def department_of(self, skel: SkeletonInstance) -> t.Any:
        """Key of the department that leads this entry (None: no department; only root/ciio may change it)."""
        return None

    def may_touch(self, skel: SkeletonInstance) -> bool:
        user = current.user.get()
        if not self.department_bound:
            return True
        return rights.may_touch_department(user, self.department_of(skel))

    def canEdit(self, skel: SkeletonInstance) -> bool:
        return super().canEdit(skel) and self.may_touch(skel)

    def canDelete(self, skel: SkeletonInstance) -> bool:
        return super().canDelete(skel) and self.may_touch(skel)

    def onAdd(self, skel: SkeletonInstance) -> None:
        self.check_change(skel, stored_publication=None)
        if self.parent_is_public(skel):
            self.hold_for_review(skel, stored=None)
        super().onAdd(skel)

    def onClone(self, skel: SkeletonInstance, src_skel: SkeletonInstance) -> None:
        self.check_change(skel, stored_publication=None)  # a clone is a new entry
        if self.parent_is_public(skel):
            self.hold_for_review(skel, stored=None)
        super().onClone(skel, src_skel=src_skel)

    def onEdit(self, skel: SkeletonInstance) -> None:
        stored = db.get(skel["key"])
        self.check_change(skel, stored_publication=stored.get("publication") if stored else None)
        if stored and stored.get(self.public_bone) == self.public_value:
            stored_skel = skel.skeletonCls()
            if stored_skel.read(skel["key"]):
                self.hold_for_review(skel, stored=stored_skel)
        super().onEdit(skel)

    def onAdded(self, skel: SkeletonInstance) -> None:
        super().onAdded(skel)
        portal.invalidate()

    def onEdited(self, skel: SkeletonInstance) -> None:
        super().onEdited(skel)
        portal.invalidate()

    def onDeleted(self, skel: SkeletonInstance) -> None:
        super().onDeleted(skel)
        portal.invalidate()

    # --- Review of editors' changes to published entries (see fahrplan.services.review) ---------------------

    def parent_is_public(self, skel: SkeletonInstance) -> bool:
        """Whether a new entry would be public at once (a milestone or KPI of a published measure)."""
        return False

    def hold_for_review(self, skel: SkeletonInstance, stored: SkeletonInstance | None) -> None:
        """
        An editor's save of a public entry (``stored``; None: a new entry of a public parent) becomes a pending
        revision unless it changes only the fields the city lets go live: raises :class:`PendingRevision`.
        """
        user = current.user.get()
        if rights.can_publish(user):
            return
        proposed = review.changes(stored, skel)
        if (stored is not None and not proposed) or review.goes_live(self.kindName, proposed):
            return
        parent = relation_key(skel, "measure") or relation_key(skel, "kpi")
        revision_key = review.propose(
            module=self.moduleName,
            kind=self.kindName,
            skel=skel,
            stored=stored,
            data=current.request.get().kwargs,
            user=user,
            department_key=self.department_of(skel),
            parent_key=parent,
        )
        raise PendingRevision(revision_key, skel)

    def check_change(self, skel: SkeletonInstance, stored_publication: str | None) -> None:
        """After the client's values were read: the department must still be the editor's; only publishers publish
        and only publishers take a published entry back (to draft or review)."""
        user = current.user.get()
        if not self.may_touch(skel):
            raise errors.Forbidden("Sie dürfen nur Einträge Ihres eigenen Amtes bearbeiten.")
        if (
            "publication" in skel
            and publication.is_published(skel)
            and stored_publication != publication.PUBLISHED
            and not rights.can_publish(user)
        ):
            raise errors.Forbidden("Veröffentlichen darf nur das CIIO-Büro; bitte zur Prüfung einreichen.")
        if (
            "publication" in skel
            and stored_publication == publication.PUBLISHED
            and not publication.is_published(skel)
            and not rights.can_publish(user)
        ):
            raise errors.Forbidden("Veröffentlichte Einträge zieht nur das CIIO-Büro zurück.")


def measure_department(measure_key: t.Any) -> t.Any:
    """The lead department of a stored measure."""
    if measure_key is None:
        return None
    entity = db.get(measure_key)
    return dest_key(entity.get("lead_department")) if entity else None


def measure_is_published(measure_key: t.Any) -> bool:
    """Whether a stored measure is published (its milestones and KPIs are public with it)."""
    return publication.is_published(db.get(measure_key) if measure_key else None)


def relation_key(skel: SkeletonInstance, bone: str) -> t.Any:
    value = skel[bone] if bone in skel else None
    return value["dest"]["key"] if value else None


class Conflict(errors.HTTPException):
    """HTTP 409: the entry was saved by someone else after this save's version was read."""

    def __init__(self, descr: str):
        super().__init__(status=409, name="Conflict", descr=descr)


CONFLICT_REASON = "Zwischenzeitlich geändert"
TRANSACTION_GAVE_UP = "Maximum transaction retries exceeded"
"""What viur-core's ``db.run_in_transaction`` raises when every attempt collided (nothing was committed)."""
BUSY = (
    "Dieser Eintrag wurde im selben Moment von anderen gespeichert; Ihre Änderungen sind nicht gespeichert. "
    "Bitte laden Sie ihn neu und speichern Sie erneut."
)


PENDING_REASON = "Zur Freigabe vorgelegt"


@contextlib.contextmanager
def conflicts_answered() -> t.Iterator[None]:
    """
    A write refused for its version, or whose every transaction attempt collided with other writes (nothing was
    written), is answered 409 with a message, never 500.
    """
    try:
        yield
    except ChangedMeanwhile as conflict:
        raise Conflict(conflict.message) from conflict
    except RuntimeError as exc:
        if str(exc) != TRANSACTION_GAVE_UP:
            raise
        raise Conflict(BUSY) from exc


def with_message(result: t.Any, reason: str, descr: str, revision_key: t.Any = None) -> t.Any:
    """A JSON form answer with ``reason`` and ``descr`` (what the admin shows as a message) and the revision."""
    if not isinstance(result, str) or not result.startswith("{"):
        return result
    body = json.loads(result)
    body["reason"], body["descr"] = reason, descr
    if revision_key is not None:
        body["pending_revision"] = revision_key.to_legacy_urlsafe().decode()
    return json.dumps(body)


def with_conflict_message(result: t.Any) -> t.Any:
    """A JSON edit form refused for its version gets ``reason`` and ``descr`` (what the admin shows as a message)."""
    if not isinstance(result, str) or not result.startswith("{") or '"version"' not in result:
        return result
    try:
        body = json.loads(result)
    except ValueError:
        return result
    messages = [
        error["errorMessage"]
        for error in body.get("errors") or []
        if (error.get("fieldPath") or [None])[0] == "version"
    ]
    if not messages or body.get("action") != "edit":
        return result
    body["reason"], body["descr"] = CONFLICT_REASON, messages[0]
    return json.dumps(body)
