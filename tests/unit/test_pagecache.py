"""
The page cache keeps a page past its TTL for stale-if-error: not served as fresh, but available to the portal
while the datastore is down, up to the age the caller allows.
"""

import pytest

from fahrplan.services import pagecache


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    return now


def test_a_page_past_its_ttl_is_a_miss_but_stays_for_stale_if_error(clock):
    cache = pagecache.PageCache(ttl=20.0)
    cache.put("home", ("<html>", "text/html"))
    clock[0] += 19.0
    assert cache.get("home") == ("<html>", "text/html")
    clock[0] += 2.0
    assert cache.get("home") is None
    assert cache.stale("home", max_age=3600.0) == (("<html>", "text/html"), 21.0)
    assert cache.stale("home", max_age=10.0) is None
    assert cache.stale("other", max_age=3600.0) is None


def test_stale_pages_still_count_against_the_size_limit(clock):
    cache = pagecache.PageCache(ttl=1.0, size=2)
    for name in ("a", "b", "c"):
        cache.put(name, name)
    clock[0] += 5.0
    assert len(cache) == 2 and cache.stale("a", max_age=60.0) is None
    cache.clear()
    assert cache.stale("c", max_age=60.0) is None
