"""
Composite-index drift check: which queries the suite issued need an index that ``deploy/index.yaml`` lacks.

The Firestore emulator does not enforce composite indexes, so a query that needs a missing entry works
locally and fails in production. :func:`install_recorder` therefore wraps viur-core's query functions and
records the shape of every query (kind, filtered properties with their operators, sort orders, OR groups,
distinct-on properties; never values), and :func:`missing_indexes` computes at the end of the run which
composite indexes those queries need and which of them ``deploy/index.yaml`` does not declare.

The rules (:func:`required_index`) are those of the Datastore's index selection, as implemented by the
App Engine SDK's ``datastore_index.CompositeIndexForQuery``, with Firestore's ordering for queries that
sort by something other than their inequality property:

- no composite index for a kind-only query, for equality filters only (merge join), for a query on a
  single property (filters and/or one sort on it, either direction), or for a sort on ``__key__``
  ascending only;
- otherwise the index holds the equality-filtered properties (any order, any direction), then the sort
  orders with their directions (sorts on equality-filtered properties dropped, everything after a sort
  on ``__key__`` dropped, a trailing ``__key__`` ascending dropped). Inequality properties the sorts do
  not name follow, in name order, in the direction of the last sort. With no sort at all the inequality
  properties may come in any order and direction (ascending is recommended).

Nothing here imports viur-core at module level, so unit tests can use it without the emulators.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import traceback
import typing as t
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
INDEX_YAML = ROOT / "deploy" / "index.yaml"
"""The index definitions deployed with the app."""

KEY = "__key__"
"""The special property of an entity's key."""

EQUALITY_OPERATORS = frozenset({"=", "==", "IN"})
INEQUALITY_OPERATORS = frozenset({"<", "<=", ">", ">=", "!=", "NOT_IN"})

ASC = "asc"
DESC = "desc"

# viur-core's SortOrder members by name: run_single_filter sends Ascending and InvertedDescending as
# ascending orders, Descending and InvertedAscending as descending ones (and reverses the results of
# the inverted ones afterwards).
_SORT_DIRECTIONS = {
    "Ascending": ASC,
    "InvertedDescending": ASC,
    "Descending": DESC,
    "InvertedAscending": DESC,
    "asc": ASC,
    "desc": DESC,
}


# ------------------------------------------------------------------------------
# Query shapes and index specifications
#


@dataclasses.dataclass(frozen=True, order=True)
class QueryRecord:
    """The index-relevant shape of one query as issued (hashable; filter values are not kept)."""

    kind: str | None
    filters: tuple[str, ...]
    """Filter keys as viur-core writes them: ``"name.idx ="``, ``"date <"``."""
    orders: tuple[tuple[str, str], ...] = ()
    """``(property, "asc" | "desc")`` as sent to the Datastore."""
    or_filters: tuple[tuple[str, ...], ...] = ()
    """OR groups (AND-ed with each other and with :attr:`filters`), each a tuple of filter keys."""
    distinct: tuple[str, ...] = ()

    def describe(self) -> str:
        """A one-line summary for messages."""
        parts = [f"kind {self.kind!r}"]
        if self.filters:
            parts.append("where " + ", ".join(self.filters))
        for group in self.or_filters:
            parts.append("and (" + " or ".join(group) + ")")
        if self.orders:
            parts.append("order by " + ", ".join(f"{name} {direction}" for name, direction in self.orders))
        if self.distinct:
            parts.append("distinct on " + ", ".join(self.distinct))
        return " ".join(parts)


@dataclasses.dataclass(frozen=True, order=True)
class IndexSpec:
    """
    A composite index a query needs.

    An index serves the query when its properties are :attr:`equality` (in any order and direction),
    then exactly :attr:`ordered` (a direction of ``None`` allows either), then :attr:`unordered` (in
    any order and direction), and nothing else.
    """

    kind: str
    equality: frozenset[str] = frozenset()
    ordered: tuple[tuple[str, str | None], ...] = ()
    unordered: frozenset[str] = frozenset()
    ancestor: bool = False

    def __len__(self) -> int:
        return len(self.equality) + len(self.ordered) + len(self.unordered)

    def recommended(self) -> tuple[tuple[str, str], ...]:
        """The properties of the index to declare: ``(name, "asc" | "desc")`` in index order."""
        return (
            *((name, ASC) for name in sorted(self.equality)),
            *((name, direction or ASC) for name, direction in self.ordered),
            *((name, ASC) for name in sorted(self.unordered)),
        )


@dataclasses.dataclass(frozen=True)
class DeclaredIndex:
    """One entry of ``index.yaml``."""

    kind: str
    properties: tuple[tuple[str, str], ...]
    """``(name, "asc" | "desc")`` in the declared order."""
    ancestor: bool = False


def _split_filter(key: str) -> tuple[str, str]:
    """``"name.idx ="`` → ``("name.idx", "=")``; a key without an operator is an equality filter."""
    name, _, op = key.strip().rpartition(" ")
    if not name:
        return op, "="
    return name.strip(), op.strip().upper()


def _direction(order: t.Any) -> tuple[str, str]:
    """``(property, "asc" | "desc")`` of a viur-core ``QueryOrder``, a ``(name, order)`` pair or a bare name."""
    if isinstance(order, str):
        return order, ASC
    if hasattr(order, "name") and hasattr(order, "order"):
        name, value = order.name, order.order
    else:
        name, value = order
    label = getattr(value, "name", value)  # a SortOrder member, or already a string
    try:
        return name, _SORT_DIRECTIONS[label]
    except KeyError:
        raise ValueError(f"Unknown sort order {value!r} for {name!r}") from None


def required_index(
    kind: str | None,
    filters: Mapping[str, t.Any] | Iterable[str],
    orders: Iterable[t.Any] | None = (),
    distinct: Iterable[str] | None = (),
) -> IndexSpec | None:
    """
    The composite index an AND-only query needs, or ``None`` when the built-in indexes serve it.

    :param kind: the queried kind (``None`` for a kindless query, which never needs one).
    :param filters: viur-core's filter dict (only the keys count, e.g. ``"name.idx ="``, ``"date <"``)
        or just its keys.
    :param orders: viur-core ``QueryOrder`` objects (``.name``, ``.order`` a ``SortOrder``) or
        ``(name, "asc" | "desc")`` pairs, in query order.
    :param distinct: the distinct-on properties, if any.
    """
    if not kind:
        return None
    equality: set[str] = set()
    inequality: set[str] = set()
    for key in filters:
        name, op = _split_filter(key)
        if op in EQUALITY_OPERATORS:
            equality.add(name)
        elif op in INEQUALITY_OPERATORS:
            inequality.add(name)
        else:
            raise ValueError(f"Unknown filter operator in {key!r}")
    equality -= inequality  # a property with both counts as an inequality property

    # Sort orders: drop those on equality-filtered properties and repeats; nothing sorts after __key__.
    sorted_by: list[tuple[str, str | None]] = []
    if KEY not in equality:  # an equality filter on the key returns at most one entity
        seen = set(equality)
        for order in orders or ():
            name, direction = _direction(order)
            if name in seen:
                continue
            seen.add(name)
            sorted_by.append((name, direction))
            if name == KEY:
                break
    key_descending = False
    if sorted_by and sorted_by[-1][0] == KEY:
        if sorted_by[-1][1] == ASC:
            sorted_by.pop()  # every index ends in __key__ ascending
        else:
            key_descending = True
    # Key filters are served natively unless another property has an inequality or the key sorts descending.
    if not key_descending and not (inequality - {KEY}):
        equality.discard(KEY)
        inequality.discard(KEY)

    ordered: list[tuple[str, str | None]] = list(sorted_by)
    unordered: set[str] = set()
    unsorted_inequality = sorted(inequality - {name for name, _ in ordered})
    if ordered:
        # Firestore appends the inequality properties the sorts omit, before a final __key__ sort.
        tail = [ordered.pop()] if ordered[-1][0] == KEY else []
        direction = ordered[-1][1] if ordered else tail[0][1]
        ordered += [(name, direction) for name in unsorted_inequality] + tail
    else:
        unordered.update(unsorted_inequality)
    named = equality | unordered | {name for name, _ in ordered}
    unordered.update(name for name in distinct or () if name not in named)

    spec = IndexSpec(kind=kind, equality=frozenset(equality), ordered=tuple(ordered), unordered=frozenset(unordered))
    if not spec.ordered and not spec.unordered:
        return None  # kind only, or equality filters only (merge join of the built-in indexes)
    if len(spec) <= 1 and spec.ordered != ((KEY, DESC),):
        return None  # one property, filtered and/or sorted either way: a built-in index
    return spec


def required_indexes(record: QueryRecord) -> list[IndexSpec]:
    """The composite indexes one recorded query needs: one per disjunct of its OR groups, if any."""
    found: set[IndexSpec] = set()
    for choice in itertools.product(*record.or_filters):  # one empty choice when there are no OR groups
        spec = required_index(record.kind, (*record.filters, *choice), record.orders, record.distinct)
        if spec is not None:
            found.add(spec)
    return sorted(found, key=_sort_key)


def _sort_key(spec: IndexSpec) -> tuple:
    return spec.kind, spec.recommended()


# ------------------------------------------------------------------------------
# index.yaml
#


def _yes(value: t.Any) -> bool:
    """index.yaml booleans: ``yes``/``no`` (YAML 1.1 already turns them into bools), ``true``/``false``."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in ("yes", "true"):
        return True
    if text in ("no", "false", ""):
        return False
    raise ValueError(f"Not a yes/no value: {value!r}")


def parse_indexes(text: str) -> list[DeclaredIndex]:
    """The entries of an ``index.yaml`` document."""
    document = yaml.safe_load(text) or {}
    if not isinstance(document, dict):
        raise ValueError("index.yaml must be a mapping with the key `indexes`")
    declared = []
    for entry in document.get("indexes") or []:
        properties = []
        for prop in entry.get("properties") or []:
            direction = str(prop.get("direction", ASC)).lower()
            if direction not in (ASC, DESC):
                raise ValueError(f"Unknown direction {direction!r} in the index on {entry.get('kind')!r}")
            properties.append((str(prop["name"]), direction))
        declared.append(
            DeclaredIndex(kind=str(entry["kind"]), properties=tuple(properties), ancestor=_yes(entry.get("ancestor")))
        )
    return declared


def declared_indexes(path: Path | str = INDEX_YAML) -> list[DeclaredIndex]:
    """The composite indexes ``path`` (by default ``deploy/index.yaml``) declares."""
    return parse_indexes(Path(path).read_text())


def covers(declared: DeclaredIndex | Iterable[DeclaredIndex], required: IndexSpec) -> bool:
    """
    Whether the declared index (or any of several) serves queries that need ``required``.

    Equality properties must form the prefix, as a set; the sorted properties follow exactly, in order and
    with their directions; then the properties whose order does not matter. Merging several indexes
    (zigzag joins) is not considered, so this may ask for an index the Datastore could do without.
    """
    if not isinstance(declared, DeclaredIndex):
        declared = list(declared)
        return any(covers(index, required) for index in declared) or merge_covers(declared, required)
    if declared.kind != required.kind or declared.ancestor != required.ancestor:
        return False
    props = declared.properties
    if len(props) != len(required):
        return False
    n_eq, n_ord = len(required.equality), len(required.ordered)
    if {name for name, _ in props[:n_eq]} != required.equality:
        return False
    for (name, direction), (want, want_direction) in zip(props[n_eq : n_eq + n_ord], required.ordered, strict=True):
        if name != want or (want_direction is not None and direction != want_direction):
            return False
    return {name for name, _ in props[n_eq + n_ord :]} == required.unordered


def merge_covers(declared: Iterable[DeclaredIndex], required: IndexSpec) -> bool:
    """
    Whether several declared indexes serve ``required`` together by a zigzag merge join.

    The datastore merges indexes for a query whose equality filters are spread over them: each index starts
    with some of the query's equality properties and continues with exactly the query's sort orders. So
    ``(a, s)`` and ``(b, s)`` serve ``a = … AND b = … ORDER BY s``. Only for queries without unsorted
    inequality properties.
    """
    if required.unordered or not required.equality:
        return False
    ordered = list(required.ordered)
    covered: set[str] = set()
    for index in declared:
        if index.kind != required.kind or index.ancestor != required.ancestor:
            continue
        prefix, suffix = (
            index.properties[: -len(ordered) or None],
            index.properties[len(index.properties) - len(ordered) :],
        )
        if not prefix or len(suffix) != len(ordered):
            continue
        if any(
            name != want or (direction_ is not None and direction != direction_)
            for (name, direction), (want, direction_) in zip(suffix, ordered, strict=True)
        ):
            continue
        names = {name for name, _ in prefix}
        if names <= required.equality:
            covered |= names
    return covered == set(required.equality)


def format_yaml(missing: Iterable[IndexSpec]) -> str:
    """
    ``index.yaml`` entries for ``missing``, to paste under ``indexes:`` (two-space indented list items).

    Each entry is preceded by a comment naming one recorded query that needs it, when known.
    """
    lines: list[str] = []
    for spec in missing:
        if example := _examples.get(spec):
            record, origin = example
            lines.append(f"  # {record.describe()}" + (f" ({origin})" if origin else ""))
        lines.append(f"  - kind: {_scalar(spec.kind)}")
        if spec.ancestor:
            lines.append("    ancestor: yes")
        lines.append("    properties:")
        for name, direction in spec.recommended():
            lines.append(f"      - name: {_scalar(name)}")
            lines.append(f"        direction: {direction}")
    return "\n".join(lines) + ("\n" if lines else "")


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar (quoted only where plain style would change it)."""
    return yaml.safe_dump(value, default_style=None, width=10_000).splitlines()[0]


# ------------------------------------------------------------------------------
# Recording
#

_recorded: set[QueryRecord] = set()
"""Every distinct query shape issued since :func:`install_recorder`."""

_origins: dict[QueryRecord, str] = {}
"""Where each shape was first issued (the innermost frame outside viur-core and the libraries)."""

_examples: dict[IndexSpec, tuple[QueryRecord, str]] = {}
"""For messages: one recorded query per missing index (filled by :func:`missing_indexes`)."""

_installed = False


def record_of(query: t.Any, with_orders: bool = True) -> QueryRecord:
    """The :class:`QueryRecord` of a viur-core ``QueryDefinition`` (or anything shaped like one)."""
    orders = tuple(_direction(order) for order in (getattr(query, "orders", None) or ())) if with_orders else ()
    or_filters = tuple(
        tuple(key for key, _value in group) for group in (getattr(query, "or_filters", None) or ()) if group
    )
    return QueryRecord(
        kind=getattr(query, "kind", None),
        filters=tuple(sorted(getattr(query, "filters", None) or {})),
        orders=orders,
        or_filters=or_filters,
        distinct=tuple(getattr(query, "distinct", None) or ()),
    )


def record(entry: QueryRecord) -> None:
    """Remember one query shape (and where it came from, the first time)."""
    if entry in _recorded:
        return
    _recorded.add(entry)
    _origins.setdefault(entry, _origin())


def recorded() -> frozenset[QueryRecord]:
    """The query shapes recorded so far."""
    return frozenset(_recorded)


def clear() -> None:
    """Forget the recorded queries (for tests of this module)."""
    _recorded.clear()
    _origins.clear()
    _examples.clear()


def _origin() -> str:
    """``file:line`` of the innermost caller that is neither viur-core, a library nor this module."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        filename = frame.filename
        if "site-packages" in filename or filename == __file__ or "/viur/core/" in filename:
            continue
        with contextlib.suppress(ValueError):
            filename = str(Path(filename).resolve().relative_to(ROOT))
        return f"{filename}:{frame.lineno}"
    return ""


def install_recorder() -> None:
    """
    Record every query viur-core runs from now on (idempotent).

    Wraps ``run_single_filter`` and ``count`` where viur-core looks them up: ``viur.core.db.query`` imported
    both by name from ``viur.core.db.transport``, and ``viur.core.db`` re-exports ``count``.
    """
    global _installed
    if _installed:
        return
    # Imported here: importing viur-core needs the emulators running.
    from viur.core import db
    from viur.core.db import query as query_module
    from viur.core.db import transport

    original_run = transport.run_single_filter
    original_count = transport.count

    def run_single_filter(query, limit, keys_only):
        record(record_of(query))
        return original_run(query, limit, keys_only)

    def count(kind=None, up_to=2**31 - 1, queryDefinition=None):  # viur-core's signature
        if queryDefinition is not None:
            record(record_of(queryDefinition, with_orders=False))  # aggregations ignore sort orders
        else:
            record(QueryRecord(kind=kind, filters=()))
        return original_count(kind=kind, up_to=up_to, queryDefinition=queryDefinition)

    run_single_filter.__wrapped__ = original_run  # type: ignore[attr-defined]
    count.__wrapped__ = original_count  # type: ignore[attr-defined]
    query_module.run_single_filter = run_single_filter
    transport.run_single_filter = run_single_filter
    query_module.count = count
    transport.count = count
    db.count = count
    _installed = True


def recorder_installed() -> bool:
    """Whether :func:`install_recorder` ran in this process."""
    return _installed


def missing_indexes(
    records: Iterable[QueryRecord] | None = None, declared: Iterable[DeclaredIndex] | None = None
) -> list[IndexSpec]:
    """
    The composite indexes the recorded queries need and ``deploy/index.yaml`` does not declare.

    :param records: the query shapes to check (default: those recorded since :func:`install_recorder`).
    :param declared: the declared indexes (default: ``deploy/index.yaml``).
    """
    declared = list(declared_indexes() if declared is None else declared)
    missing: set[IndexSpec] = set()
    for entry in sorted(_recorded if records is None else records, key=repr):
        for spec in required_indexes(entry):
            if not covers(declared, spec):
                missing.add(spec)
                _examples.setdefault(spec, (entry, _origins.get(entry, "")))
    return sorted(missing, key=_sort_key)
