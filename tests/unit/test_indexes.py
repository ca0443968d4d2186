"""
The composite-index drift check (``tests/support/indexes.py``) without the emulator.

Queries are built like viur-core builds them (a ``QueryDefinition`` with a filter dict keyed
``"<property> <op>"`` and ``QueryOrder``-like sort orders whose ``order`` is a ``SortOrder`` member), but
from local look-alikes, because importing viur-core needs the emulators running.
"""

import dataclasses
import enum
import typing as t

import pytest
import yaml

from tests.support import indexes
from tests.support.indexes import DeclaredIndex, IndexSpec


class SortOrder(enum.Enum):
    """viur-core's ``db.SortOrder`` (same member names, which is what the check reads)."""

    Ascending = 1
    Descending = 2
    InvertedAscending = 3
    InvertedDescending = 4


class QueryOrder(t.NamedTuple):
    """viur-core's ``db.QueryOrder``."""

    name: str
    order: SortOrder = SortOrder.Ascending


@dataclasses.dataclass
class QueryDefinition:
    """The fields of viur-core's ``db.QueryDefinition`` that the check reads."""

    kind: str
    filters: dict[str, t.Any]
    orders: list[QueryOrder] = dataclasses.field(default_factory=list)
    distinct: list[str] | None = None
    or_filters: list[list[tuple[str, t.Any]]] = dataclasses.field(default_factory=list)


def needed(query: QueryDefinition) -> IndexSpec | None:
    """The index ``query`` needs, through the recorder's path (record, then compute)."""
    specs = indexes.required_indexes(indexes.record_of(query))
    assert len(specs) <= 1
    return specs[0] if specs else None


def declared(text: str) -> list[DeclaredIndex]:
    return indexes.parse_indexes(text)


# ------------------------------------------------------------------------------
# required_index
#


def test_equality_only_needs_no_index():
    """Equality filters on any number of properties, unsorted, are a merge join of built-in indexes."""
    query = QueryDefinition("measure", {"status =": "active", "department.dest.key =": "k", "public =": True})
    assert needed(query) is None


def test_kind_only_and_key_ascending_need_no_index():
    """A kind-only query and one sorted by ``__key__`` ascending use the built-in kind index."""
    assert needed(QueryDefinition("measure", {})) is None
    assert needed(QueryDefinition("measure", {}, [QueryOrder("__key__")])) is None


def test_equality_plus_trailing_key_ascending_needs_no_index():
    """Every index ends in ``__key__`` ascending, so that sort adds nothing to an equality-only query."""
    query = QueryDefinition("measure", {"status =": "active"}, [QueryOrder("__key__", SortOrder.Ascending)])
    assert needed(query) is None


def test_key_descending_needs_an_index():
    """The built-in indexes only run ``__key__`` ascending; descending needs a declared ``__key__ desc`` index."""
    spec = needed(QueryDefinition("measure", {}, [QueryOrder("__key__", SortOrder.Descending)]))
    assert spec is not None
    assert spec.recommended() == (("__key__", "desc"),)


def test_equality_plus_sort_needs_an_index():
    """Filtering on one property and sorting by another needs both in one index, equality first."""
    query = QueryDefinition("measure", {"status =": "active"}, [QueryOrder("sortindex", SortOrder.Ascending)])
    spec = needed(query)
    assert spec == IndexSpec("measure", equality=frozenset({"status"}), ordered=(("sortindex", "asc"),))
    assert spec.recommended() == (("status", "asc"), ("sortindex", "asc"))


def test_sort_descending_on_one_property_needs_no_index():
    """Every property has built-in indexes in both directions, so one sort (either way) needs nothing."""
    assert needed(QueryDefinition("measure", {}, [QueryOrder("changedate", SortOrder.Descending)])) is None


def test_filter_and_sort_on_the_same_property_need_no_index():
    """An inequality filter and a sort on the same property are served by its built-in index."""
    query = QueryDefinition("measure", {"date >=": 1, "date <": 2}, [QueryOrder("date", SortOrder.Descending)])
    assert needed(query) is None


def test_sort_on_an_equality_filtered_property_is_dropped():
    """All results share the filtered value, so that sort is a no-op and needs no index."""
    query = QueryDefinition("measure", {"status =": "active"}, [QueryOrder("status", SortOrder.Descending)])
    assert needed(query) is None


def test_inverted_orders_use_the_direction_viur_core_sends():
    """viur-core runs InvertedAscending as a descending and InvertedDescending as an ascending sort."""
    base = {"status =": "active"}
    inverted_asc = needed(QueryDefinition("measure", base, [QueryOrder("date", SortOrder.InvertedAscending)]))
    inverted_desc = needed(QueryDefinition("measure", base, [QueryOrder("date", SortOrder.InvertedDescending)]))
    assert inverted_asc is not None and inverted_asc.ordered == (("date", "desc"),)
    assert inverted_desc is not None and inverted_desc.ordered == (("date", "asc"),)


def test_inequality_plus_different_sort_needs_an_index():
    """An inequality on one property and a sort on another need both; the sort comes first (Firestore order)."""
    query = QueryDefinition("measure", {"date <": 5}, [QueryOrder("name.idx", SortOrder.Ascending)])
    spec = needed(query)
    assert spec is not None
    assert spec.recommended() == (("name.idx", "asc"), ("date", "asc"))


def test_inequality_sorted_first_keeps_the_sort_direction():
    """When the first sort is on the inequality property its direction counts, other sorts follow in order."""
    query = QueryDefinition(
        "measure",
        {"status =": "active", "date <": 5},
        [QueryOrder("date", SortOrder.Descending), QueryOrder("name.idx", SortOrder.Ascending)],
    )
    spec = needed(query)
    assert spec is not None
    assert spec.recommended() == (("status", "asc"), ("date", "desc"), ("name.idx", "asc"))


def test_equality_plus_unsorted_inequality_needs_an_index_in_either_direction():
    """Without a sort the inequality property may be indexed in either direction, but it must be indexed."""
    spec = needed(QueryDefinition("measure", {"status =": "active", "date >": 3}))
    assert spec is not None
    assert spec.recommended() == (("status", "asc"), ("date", "asc"))
    index = "indexes:\n- kind: measure\n  properties:\n  - name: status\n  - name: date\n    direction: {}\n"
    assert indexes.covers(declared(index.format("asc")), spec)
    assert indexes.covers(declared(index.format("desc")), spec)


def test_or_filters_need_an_index_per_disjunct():
    """An OR query runs as one query per disjunct; each one needs its own index."""
    query = QueryDefinition(
        "measure",
        {"public =": True},
        [QueryOrder("date", SortOrder.Descending)],
        or_filters=[[("status =", "active"), ("owner =", "me")]],
    )
    specs = indexes.required_indexes(indexes.record_of(query))
    assert [spec.recommended() for spec in specs] == [
        (("owner", "asc"), ("public", "asc"), ("date", "desc")),
        (("public", "asc"), ("status", "asc"), ("date", "desc")),
    ]


def test_kindless_queries_need_no_index():
    """Kindless queries only use the built-in key index."""
    assert indexes.required_index(None, {"__key__ >": 1}, [("__key__", "asc")]) is None


# ------------------------------------------------------------------------------
# covers, declared_indexes
#

INDEX_YAML = """
indexes:
- kind: measure
  properties:
  - name: public
  - name: status
    direction: asc
  - name: date
    direction: desc
- kind: measure
  ancestor: yes
  properties:
  - name: status
  - name: sortindex
"""


def test_equality_properties_in_another_order_still_cover():
    """Equality properties are a prefix whose order does not matter: (public, status) serves (status, public)."""
    query = QueryDefinition(
        "measure", {"status =": "active", "public =": True}, [QueryOrder("date", SortOrder.Descending)]
    )
    spec = needed(query)
    assert spec is not None
    assert spec.recommended() == (("public", "asc"), ("status", "asc"), ("date", "desc"))
    assert indexes.covers(declared(INDEX_YAML), spec)


def test_missing_direction_is_detected():
    """An index sorting date descending does not serve a query sorting it ascending."""
    query = QueryDefinition(
        "measure", {"status =": "active", "public =": True}, [QueryOrder("date", SortOrder.Ascending)]
    )
    spec = needed(query)
    assert spec is not None
    assert not indexes.covers(declared(INDEX_YAML), spec)
    assert indexes.missing_indexes([indexes.record_of(query)], declared(INDEX_YAML)) == [spec]


def test_ancestor_index_does_not_serve_a_plain_query():
    """An ancestor index carries the ancestor path first, so a query without an ancestor cannot use it."""
    spec = needed(QueryDefinition("measure", {"status =": "active"}, [QueryOrder("sortindex")]))
    assert spec is not None
    assert not indexes.covers(declared(INDEX_YAML), spec)


def test_extra_or_fewer_properties_do_not_cover():
    """An index with a property more misses entities lacking it; one with a property less cannot filter."""
    spec = needed(QueryDefinition("measure", {"status =": "active"}, [QueryOrder("date", SortOrder.Descending)]))
    assert spec is not None
    assert not indexes.covers(declared(INDEX_YAML), spec)  # (public, status, date desc): one more


def test_declared_indexes_parse_the_deployed_file():
    """deploy/index.yaml must stay parseable; its entries are what the drift check compares against."""
    for index in indexes.declared_indexes():
        assert index.kind and index.properties
        assert all(direction in ("asc", "desc") for _, direction in index.properties)


def test_declared_indexes_parse_yes_no_and_default_direction():
    """``ancestor: yes`` is YAML 1.1's boolean; a property without a direction is ascending."""
    first, second = declared(INDEX_YAML)
    assert first == DeclaredIndex("measure", (("public", "asc"), ("status", "asc"), ("date", "desc")), False)
    assert second.ancestor is True


def test_unknown_direction_is_rejected():
    """A typo in index.yaml must not silently count as ascending."""
    with pytest.raises(ValueError, match="direction"):
        declared("indexes:\n- kind: a\n  properties:\n  - name: b\n    direction: down\n")


# ------------------------------------------------------------------------------
# format_yaml
#


def test_format_yaml_round_trips_into_covering_indexes():
    """What format_yaml prints, pasted under ``indexes:``, must declare exactly the missing indexes."""
    queries = [
        QueryDefinition("measure", {"status =": "active"}, [QueryOrder("date", SortOrder.Descending)]),
        QueryDefinition("department", {"date <": 3}, [QueryOrder("name.idx")]),
        QueryDefinition("yes", {}, [QueryOrder("__key__", SortOrder.Descending)]),
    ]
    records = [indexes.record_of(query) for query in queries]
    missing = indexes.missing_indexes(records, declared=[])
    assert len(missing) == 3
    text = indexes.format_yaml(missing)
    assert "# kind 'measure' where status = order by date desc" in text
    document = yaml.safe_load("indexes:\n" + text)
    assert [entry["kind"] for entry in document["indexes"]] == ["department", "measure", "yes"]
    pasted = indexes.parse_indexes("indexes:\n" + text)
    assert indexes.missing_indexes(records, declared=pasted) == []


def test_format_yaml_of_nothing_is_empty():
    """No missing index, no output (conftest prints nothing then)."""
    assert indexes.format_yaml([]) == ""


MERGE_YAML = """
indexes:
  - kind: measure
    properties: [{name: publication}, {name: name}]
  - kind: measure
    properties: [{name: status}, {name: name}]
  - kind: measure
    properties: [{name: programme}, {name: name, direction: desc}]
"""


def test_indexes_sharing_the_sort_merge_for_combined_equality_filters():
    """(publication, name) and (status, name) together serve publication = … AND status = … ORDER BY name."""
    query = QueryDefinition("measure", {"publication =": "published", "status =": "planned"}, [QueryOrder("name")])
    assert indexes.covers(declared(MERGE_YAML), needed(query))


def test_merge_needs_every_equality_property_and_the_same_sort():
    """No index starts with programme sorted ascending, so the merge cannot serve that combination."""
    by_programme = QueryDefinition("measure", {"publication =": "p", "programme =": "dv"}, [QueryOrder("name")])
    assert not indexes.covers(declared(MERGE_YAML), needed(by_programme))
    unknown = QueryDefinition("measure", {"publication =": "p", "level =": "x"}, [QueryOrder("name")])
    assert not indexes.covers(declared(MERGE_YAML), needed(unknown))
