"""
Raw entities shaped exactly like skeleton-written ones, for bulk writes (scale workloads, demo readings).

``Skeleton.write`` costs a transaction, a history entry and roll-up work per entity; for hundreds of thousands
of entities that is far too slow. :class:`EntityFactory` instead serialises one empty skeleton per kind as a
template (every bone's property with its default, the same unindexed properties) and fills copies of it:
the ``viur`` bookkeeping (SEO keys, unique-value hashes), ``viurTags`` for ViUR's fulltext search, relational
values ``{"dest": <embedded entity with the refKeys>, "rel": None}`` and, optionally, the ``viur-relations``
entries viur-core keeps to update references. Derived values (progress, roll-ups, KPI series) are the
caller's business; compute them with the pure functions of :mod:`fahrplan.services`.
"""

import concurrent.futures
import contextlib
import datetime
import itertools
import logging
import time
import typing as t

PUT_BATCH = 500
"""At most this many entities per ``db.put`` (the datastore's limit per commit)."""


class EntityFactory:
    """Builds raw entities of the registered skeletons; see the module docstring."""

    def __init__(self, now: datetime.datetime | None = None, relations: bool = False):
        self.now = (now or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
        self.relations = relations
        self._templates: dict[str, tuple[dict, set[str], t.Any]] = {}
        self._ids: dict[str, list] = {}

    # --- keys ---------------------------------------------------------------------------------

    def keys(self, kind: str, count: int) -> list:
        """``count`` fresh numeric keys of ``kind``, allocated by the datastore like ``Skeleton.write`` does."""
        from viur.core import db

        result = []
        while len(result) < count:
            result += db.allocate_ids(kind, min(5000, count - len(result)))
        return result

    # --- templates ----------------------------------------------------------------------------

    def template(self, kind: str) -> tuple[dict, set[str], t.Any]:
        """``(default properties, unindexed properties, skeleton class)`` of ``kind``, built once."""
        if kind not in self._templates:
            from viur.core import db, skeleton

            skel = skeleton.skeletonByKind(kind)()
            skel.dbEntity = db.Entity(db.Key(kind, 1))
            skel.dbEntity["viur"] = {}
            skel["key"] = skel.dbEntity.key
            for name, bone in skel.items():
                if name == "key":
                    continue
                _ = skel[name]
                bone.serialize(skel, name, True)
            defaults = {
                name: value for name, value in skel.dbEntity.items() if name not in ("viur", "name", "shortkey")
            }
            self._templates[kind] = (defaults, set(skel.dbEntity.exclude_from_indexes), skel.skeletonCls)
        return self._templates[kind]

    def searchable(self, kind: str) -> list[str]:
        _, _, cls = self.template(kind)
        return [name for name, bone in cls.__boneMap__.items() if bone.searchable and name != "shortkey"]

    # --- entities -----------------------------------------------------------------------------

    def entity(self, key, values: t.Mapping[str, t.Any]) -> t.Any:
        """A stored entity of ``key.kind`` with ``values`` over the skeleton's defaults."""
        from viur.core import conf, db

        defaults, unindexed, cls = self.template(key.kind)
        entity = db.Entity(key, exclude_from_indexes=tuple(unindexed))
        entity.update(defaults)
        entity.update(values)
        ident = key.id_or_name
        entity["name"] = values.get("name", f"{key.kind}/{ident}")
        entity["creationdate"] = entity["changedate"] = self.now
        if "version" in cls.__boneMap__:  # as after a first skeleton write (see VersionBone)
            entity["version"] = 1
            entity["version_by"], entity["version_at"] = "System", self.now
            entity.exclude_from_indexes = set(entity.exclude_from_indexes) | {"version_by", "version_at"}
        seo = {language: str(ident) for language in conf.i18n.available_languages or [conf.i18n.default_language]}
        viur = db.Entity()
        for bone_name, bone in cls.__boneMap__.items():
            if bone.unique and values.get(bone_name) is not None:
                viur[f"{bone_name}_uniqueIndexValue"] = bone._hashValueForUniquePropertyIndex([values[bone_name]])
        viur["viurCurrentSeoKeys"] = db.Entity()
        viur["viurCurrentSeoKeys"].update(seo | {"_viurLanguageWrapper_": True})
        viur["viurActiveSeoKeys"] = [str(ident)]
        viur["viurLastRequestedSeoKeys"] = None
        viur["delayedUpdateTag"] = time.time()
        entity["viur"] = viur
        entity["viurTags"] = self.tags(key, [entity.get(name) for name in self.searchable(key.kind)])
        return entity

    def tags(self, key, values: t.Iterable[t.Any]) -> list[str]:
        """``viurTags`` as viur-core's ``ViurTagsSearchAdapter`` writes them (words of the searchable bones)."""
        from viur.core.skeleton.adapter import ViurTagsSearchAdapter

        _, _, cls = self.template(key.kind)
        adapter = next(
            (a for a in cls.database_adapters if isinstance(a, ViurTagsSearchAdapter)), ViurTagsSearchAdapter()
        )
        words = {str(key.id_or_name)}
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if item:
                    words.update(str(item).split())
        return list(
            itertools.chain(*(adapter._tags_from_str(word) for word in words if len(word) <= adapter.max_length))
        )

    def relation(self, dest: t.Any, ref_keys: t.Iterable[str]) -> t.Any:
        """A relational bone value pointing to the stored (or to-be-stored) entity ``dest``."""
        from viur.core import db

        embedded = db.Entity(dest.key)
        for name in ref_keys:
            if name in ("key", "shortkey"):
                continue
            embedded[name] = dest.get(name)
        embedded["shortkey"] = dest.key.id_or_name
        value = db.Entity()
        value["dest"] = embedded
        value["rel"] = None
        return value

    def ref(self, kind: str, bone: str, dest: t.Any) -> t.Any:
        """The value of relational ``bone`` of skeleton ``kind`` pointing to ``dest`` (with the bone's refKeys)."""
        _, _, cls = self.template(kind)
        return self.relation(dest, cls.__boneMap__[bone]._ref_keys)

    def unique_locks(self, entity: t.Any) -> list:
        """The lock entities viur-core keeps for each unique value of ``entity``."""
        from viur.core import db

        locks = []
        for name, value in entity["viur"].items():
            if name.endswith("_uniqueIndexValue"):
                bone = name.removesuffix("_uniqueIndexValue")
                for digest in value:
                    lock = db.Entity(db.Key(f"{entity.key.kind}_{bone}_uniquePropertyIndex", digest))
                    lock["references"] = entity.key.id_or_name
                    locks.append(lock)
        return locks

    def relation_entries(self, entity: t.Any) -> list:
        """The ``viur-relations`` entries viur-core writes for the relational bones of ``entity``."""
        from viur.core import db
        from viur.core.bones import RelationalBone

        if not self.relations:
            return []
        _, _, cls = self.template(entity.key.kind)
        entries = []
        for name, bone in cls.__boneMap__.items():
            if not isinstance(bone, RelationalBone) or not entity.get(name):
                continue
            values = entity[name] if isinstance(entity[name], list) else [entity[name]]
            src = db.Entity(entity.key)
            src.update({parent: entity.get(parent) for parent in bone.parentKeys or ()})
            for value in values:
                entry = db.Entity(db.Key("viur-relations", parent=entity.key))
                entry["dest"] = value["dest"]
                entry["rel"] = None
                entry["src"] = src
                entry["viur_src_kind"] = entity.key.kind
                entry["viur_src_property"] = name
                entry["viur_dest_kind"] = bone.kind
                entry["viur_delayed_update_tag"] = time.time()
                entry["viur_relational_updateLevel"] = bone.updateLevel.value
                entry["viur_relational_consistency"] = bone.consistency.value
                entry["viur_foreign_keys"] = list(bone._ref_keys)
                entry["viurTags"] = entity.get("viurTags")
                entries.append(entry)
        return entries


class Writer:
    """
    Writes entities in batches of :data:`PUT_BATCH` from a few threads, so that building the next batches
    overlaps with the datastore's commits. Use as a context manager; leaving it waits for every write.
    """

    def __init__(self, threads: int = 4):
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="put")
        self.futures: list[concurrent.futures.Future] = []
        self.written = 0

    def put(self, entities: t.Sequence[t.Any]) -> None:
        from viur.core import db

        for start in range(0, len(entities), PUT_BATCH):
            self.futures.append(self.pool.submit(db.put, list(entities[start : start + PUT_BATCH])))
        self.written += len(entities)
        if len(self.futures) > 16:  # bound the memory held by queued batches
            self.wait(keep=8)

    def wait(self, keep: int = 0) -> None:
        while len(self.futures) > keep:
            self.futures.pop(0).result()

    def __enter__(self) -> t.Self:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.wait()
        finally:
            self.pool.shutdown()


@contextlib.contextmanager
def quiet_client() -> t.Iterator[None]:
    """
    No debug logging meanwhile: with it on, the datastore client renders every request as JSON, which costs
    more than building the entities.
    """
    previous = logging.root.manager.disable
    logging.disable(max(previous, logging.DEBUG))
    try:
        yield
    finally:
        logging.disable(previous)
