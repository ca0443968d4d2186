"""
A small in-process cache of rendered public pages.

Public pages are the same for every visitor, so an instance renders each one at most once per
:attr:`PageCache.ttl` seconds; App Engine's edge cache may keep it as long again (see the portal's
``Cache-Control``). A write in this instance clears the cache at once; other instances catch up within the
TTL, so a published change is visible everywhere within a minute.

A page older than the TTL is not served as fresh, but kept (within ``size``) so that the portal can still show it
while the datastore is down (stale-if-error, :meth:`PageCache.stale`).
"""

import collections
import threading
import time
import typing as t


class PageCache:
    """Rendered pages by key (language, path, query), each kept for ``ttl`` seconds; at most ``size`` pages."""

    def __init__(self, ttl: float = 30.0, size: int = 2000):
        self.ttl = ttl
        self.size = size
        self._pages: collections.OrderedDict[t.Hashable, tuple[float, t.Any]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: t.Hashable) -> t.Any | None:
        """The cached value, or None when missing or older than the TTL (a stale value stays for :meth:`stale`)."""
        now = time.monotonic()
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or now - entry[0] > self.ttl:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return entry[1]

    def stale(self, key: t.Hashable, max_age: float) -> tuple[t.Any, float] | None:
        """The cached value and its age in seconds, however stale, if it is at most ``max_age`` seconds old."""
        now = time.monotonic()
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or now - entry[0] > max_age:
                return None
            return entry[1], now - entry[0]

    def put(self, key: t.Hashable, value: t.Any) -> None:
        with self._lock:
            self._pages[key] = (time.monotonic(), value)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


pages = PageCache()
"""The portal's page cache (one per instance)."""
