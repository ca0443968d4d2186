"""
The catalogue of published measures (issue 12): correct by construction, never blocking, fast to start.

Every write that changes what the portal lists (a measure's save, its publication, its deletion) logs a change in
its own transaction; syncs apply the changes of a window that reaches back further than any commit takes; a
reload is built beside the catalogue readers keep using; a new instance starts from a compact snapshot plus the
changes since, on App Engine's warm-up request.
"""

import datetime
import threading

import pytest

from tests.support import roadmap


@pytest.fixture
def site(db, client):
    """The fixture roadmap (two published measures, one draft) and an instance that holds nothing yet."""
    from fahrplan.services import portal

    portal.reset()
    built = roadmap.build()
    roadmap.update(built.b.measure, name="WLAN an Schulen")
    yield built
    portal.reset()


def listed() -> set[str]:
    from fahrplan.services import catalogue, portal

    return {portal.key_of(entry) for entry in catalogue.catalogue().measures()}


def key(value) -> str:
    return roadmap.urlsafe(value)


def test_a_deletion_and_a_new_publication_in_one_sync_window_are_both_seen(site, monkeypatch):
    """
    One measure gone, one new, and the roll-up's published count as it is while the removal waits for its fold
    (the sums are folded seconds later, in batches): a sync that trusts counts keeps the deleted measure listed.
    """
    from fahrplan.services import catalogue, rollup

    assert listed() == {key(site.a.measure), key(site.b.measure)}
    roadmap.remove(site.b.measure)
    new = roadmap.add_measure(site.dept_a, site.programme, site.subgoal, name="Neu im selben Fenster")
    meanwhile = {"all": {"n": 3}, "public": {"n": 3}}  # the new one folded, the removal not yet
    monkeypatch.setattr(rollup, "stats", lambda: meanwhile)
    monkeypatch.setattr(catalogue, "SYNC_SECONDS", 0.0)
    assert listed() == {key(site.a.measure), key(new)}


def test_a_write_whose_commit_took_long_is_still_picked_up(site, monkeypatch):
    """A change stamped before the last sync but committed after it (a slow commit) reaches the next sync."""
    from fahrplan.services import catalogue

    assert key(site.a.measure) in listed()  # synced now
    stamped = catalogue.clock() - datetime.timedelta(seconds=20)  # the transaction read its clock 20 s ago
    monkeypatch.setattr(catalogue, "clock", lambda: stamped)
    new = roadmap.add_measure(site.dept_a, site.programme, site.subgoal, name="Langsamer Commit")
    monkeypatch.undo()
    monkeypatch.setattr(catalogue, "SYNC_SECONDS", 0.0)
    catalogue.catalogue()  # a sync that is not told about the write (no mark_stale: another instance wrote)
    assert key(new) in listed()


def test_readers_keep_the_old_catalogue_while_a_reload_runs(site, monkeypatch):
    """A full reload is built beside the catalogue; request threads meanwhile get the one they had, at once."""
    from fahrplan.services import catalogue

    before = listed()
    entered, release = threading.Event(), threading.Event()
    load = catalogue.load_entries

    def slow_load(*args, **kwargs):
        entered.set()
        release.wait(30)
        return load(*args, **kwargs)

    monkeypatch.setattr(catalogue, "load_entries", slow_load)
    reloading = threading.Thread(target=catalogue.reload)
    reloading.start()
    try:
        assert entered.wait(10)
        monkeypatch.setattr(catalogue, "SYNC_SECONDS", 0.0)  # the reader would sync too: it must not wait
        seen: list[set[str]] = []
        reader = threading.Thread(target=lambda: seen.append(listed()))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "a reader waited for the reload"
        assert seen == [before]
    finally:
        release.set()
        reloading.join(30)
    assert listed() == before


def test_the_warm_up_request_loads_the_catalogue(site, client):
    """App Engine's /_ah/warmup loads the catalogue before the instance gets its first visitor."""
    from fahrplan.services import catalogue

    assert not catalogue.loaded()
    response = client.get("/_ah/warmup")
    assert response.status_code == 200, response.text[:500]
    assert catalogue.loaded()
    assert {entry.key for entry in catalogue.current().measures()} == {key(site.a.measure), key(site.b.measure)}


def test_a_new_instance_starts_from_the_snapshot_and_the_changes_since(site, monkeypatch):
    """Start-up reads the snapshot chunks and the change log since, never the measures."""
    from viur.core import db

    from fahrplan.services import catalogue, portal

    assert catalogue.write_snapshot() >= 1
    later = roadmap.add_measure(site.dept_a, site.programme, site.subgoal, name="Nach dem Schnappschuss")
    roadmap.update(site.a.measure, publication="draft")
    portal.reset()  # a new instance
    query = db.Query

    def no_measure_queries(kind, *args, **kwargs):
        assert kind != "measure", "the start-up queried the measures"
        return query(kind, *args, **kwargs)

    monkeypatch.setattr(db, "Query", no_measure_queries)
    assert listed() == {key(site.b.measure), key(later)}
    entry = catalogue.current().get(key(site.b.measure))
    assert entry["name"] == "WLAN an Schulen"
    assert entry["lead_department"] == {"key": key(site.dept_b), "name": "Amt B", "short_code": "B"}


def test_the_snapshot_formats_decode_to_the_entries_a_reload_builds(site):
    """The compact snapshot (shared word and reference tables) and the first format both give the same entries."""
    import json

    from fahrplan.services import catalogue

    catalogue.catalogue()
    entries = {item.key: item for item in catalogue.current().measures()}
    assert entries
    payload = json.loads(json.dumps(catalogue.encode_snapshot(entries.values())))  # as stored: through JSON
    assert payload["format"] == catalogue.SNAPSHOT_FORMAT
    decoded = catalogue.decode_snapshot(payload)
    assert decoded == entries and {key: item.seq for key, item in decoded.items()} == {
        key: item.seq for key, item in entries.items()
    }

    def first_format(item) -> list:  # [key, seq, data] with the data a change carries
        data = {name: item[name] for name in catalogue.FIELDS}
        data |= {name: item[name].isoformat() if item[name] else None for name in catalogue.DATES}
        data |= {name: list(item[name]) for name in catalogue.WORDS}
        data |= {name: [item[name][part] for part in ("key", "name", "short_code")] if item[name] else None
                 for name in catalogue.REFS}  # fmt: skip
        return [item.key, item.seq, data]

    stored = json.loads(json.dumps([first_format(item) for item in entries.values()]))
    assert catalogue.decode_snapshot(stored) == entries


def test_entries_are_slim(site):
    """No embedded entities or keys: plain strings, numbers, dates and small shared dicts."""
    from fahrplan.services import catalogue

    catalogue.catalogue()
    for entry in catalogue.current().measures():
        assert isinstance(entry.key, str)
        for name, value in entry.items():
            assert type(value) in (str, int, float, bool, tuple, dict, datetime.datetime, type(None)), (name, value)
            if isinstance(value, dict):
                assert set(value) == {"key", "name", "short_code"}, (name, value)
                assert all(isinstance(item, str) for item in value.values()), (name, value)


def test_an_instance_that_slept_past_the_pruned_changes_reloads(site, monkeypatch):
    """Changes the snapshot covers are pruned; an instance whose last sync is older than them reloads instead."""
    from fahrplan.services import catalogue

    assert listed() == {key(site.a.measure), key(site.b.measure)}
    roadmap.remove(site.b.measure)
    later = catalogue.clock() + datetime.timedelta(hours=2)
    monkeypatch.setattr(catalogue, "clock", lambda: later)  # two hours on: the snapshot covers the removal
    catalogue.write_snapshot()
    assert catalogue.prune() >= 1
    monkeypatch.setattr(catalogue, "SYNC_SECONDS", 0.0)
    assert listed() == {key(site.a.measure)}
