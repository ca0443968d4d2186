"""
The WSGI app of the benchmark (``make bench``): the run command's app plus bench-only instruments.

Never deployed (``tools/`` is not part of the App Engine bundle) and it refuses to load unless
``FAHRPLAN_BENCH=1`` is set. On top of :mod:`tools.devapp` it

- mounts a bare ViUR module at ``/benchbare``: one tiny Jinja template without data, rendered through
  viur-core's full request handling (routing, session, security headers) — the floor the portal is compared to;
- counts datastore round trips per request (``db.get``/``put``/``delete``, queries, counts, transactions,
  wherever viur-core and the package reference them) and returns the number in ``X-Bench-Datastore-Calls``;
- clears the portal's page cache before a request that carries ``X-Bench-Cold: 1`` (a "cold" render).
"""

import json
import os
import sys
import threading
import time
import types
import typing as t
from pathlib import Path

COUNT_HEADER = "X-Bench-Datastore-Calls"
SECONDS_HEADER = "X-Bench-Datastore-Ms"
TRACE = Path(__file__).resolve().parent.parent / ".artifacts" / "bench-trace.jsonl"
"""Every measured request as one JSON line (path, cold, round trips, datastore ms, server ms): for diagnosis."""
COLD_HEADER = "HTTP_X_BENCH_COLD"
BARE_MODULE = "benchbare"

BARE_TEMPLATE = """<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>Eine Seite ohne Daten.</p></main></body>
</html>
"""


# ------------------------------------------------------------------------------
# Datastore round trips
#

COUNTED = ("get", "put", "delete", "count", "run_single_filter", "run_in_transaction", "allocate_ids")
"""Functions of ``viur.core.db.transport`` that are one datastore round trip each (a transaction: at least one)."""


class RoundTrips:
    """Counts calls of the wrapped functions per thread (gunicorn's threads serve one request each)."""

    def __init__(self):
        self._local = threading.local()

    def reset(self) -> None:
        self._local.count = 0
        self._local.seconds = 0.0
        self._local.depth = 0

    @property
    def count(self) -> int:
        return getattr(self._local, "count", 0)

    @property
    def seconds(self) -> float:
        """Time spent in the outermost counted calls of this request (waiting on the datastore, mostly)."""
        return getattr(self._local, "seconds", 0.0)

    def wrap(self, function: t.Callable) -> t.Callable:
        """``function``, counting each call (nested counted calls inside it are counted too)."""
        if getattr(function, "__bench_counted__", False):
            return function
        counter = self

        def counted(*args, **kwargs):
            local = counter._local
            local.count = counter.count + 1
            depth = getattr(local, "depth", 0)
            local.depth = depth + 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                local.depth = depth
                if not depth:
                    local.seconds = counter.seconds + time.perf_counter() - started

        counted.__wrapped__ = function
        counted.__name__ = getattr(function, "__name__", "counted")
        counted.__bench_counted__ = True
        return counted

    def install(self, transport: types.ModuleType, modules: t.Iterable[types.ModuleType] | None = None) -> int:
        """
        Replace the :data:`COUNTED` functions of ``transport`` everywhere they are referenced.

        viur-core re-exports them (``viur.core.db.get``) and imports them by name (``db.query``, ``db.utils``),
        so every module attribute that *is* one of the originals gets the counting wrapper. Returns the number of
        references replaced.
        """
        originals = {
            id(function): function
            for function in (getattr(transport, name) for name in COUNTED)
            if not getattr(function, "__bench_counted__", False)
        }
        wrapped = {key: self.wrap(function) for key, function in originals.items()}
        replaced = 0
        for module in list(sys.modules.values() if modules is None else modules):
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict):
                continue
            for attribute, value in list(namespace.items()):
                if callable(value) and id(value) in originals and value is originals[id(value)]:
                    setattr(module, attribute, wrapped[id(value)])
                    replaced += 1
        return replaced


round_trips = RoundTrips()


def instrument(
    app: t.Callable,
    clear_cache: t.Callable[[], None] | None,
    counter: RoundTrips = round_trips,
    trace: Path | None = None,
):
    """
    ``app`` with the bench headers: the round trips of each request in :data:`COUNT_HEADER` and the time spent
    in them in :data:`SECONDS_HEADER`; the page cache cleared first when the request has ``X-Bench-Cold: 1``.
    The response is buffered to count everything. With ``trace``, each request is appended there as JSON.
    """
    lock = threading.Lock()

    def bench_app(environ, start_response):
        started = time.perf_counter()
        cold = environ.get(COLD_HEADER) == "1"
        if cold and clear_cache is not None:
            clear_cache()
        counter.reset()
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, list(headers), exc_info]
            return lambda data: body.append(data)

        body: list[bytes] = []
        result = app(environ, capture)
        try:
            body.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers, exc_info = captured
        headers.append((COUNT_HEADER, str(counter.count)))
        headers.append((SECONDS_HEADER, f"{counter.seconds * 1000:.2f}"))
        if trace is not None:
            line = {
                "path": environ.get("PATH_INFO"),
                "cold": cold,
                "calls": counter.count,
                "datastore_ms": round(counter.seconds * 1000, 2),
                "server_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            with lock, open(trace, "a") as output:
                output.write(json.dumps(line) + "\n")
        start_response(status, headers, exc_info)
        return body

    return bench_app


# ------------------------------------------------------------------------------
# The bare ViUR page
#


def bare_module() -> type:
    """A ViUR module (html render) whose only page is a template without data."""
    import jinja2
    from viur.core import Module, current, exposed

    template = jinja2.Environment(autoescape=True).from_string(BARE_TEMPLATE)

    class BenchBare(Module):
        html = True

        @exposed
        def index(self, *args, **kwargs) -> str:
            current.request.get().response.headers["Content-Type"] = "text/html; charset=utf-8"
            return template.render(title="Bare ViUR")

    return BenchBare


def _load():
    if os.environ.get("FAHRPLAN_BENCH") != "1":
        raise RuntimeError("tools.bench_app is for `make bench` only: set FAHRPLAN_BENCH=1")
    import viur.core

    original_setup = viur.core.setup

    def setup(modules, *args, **kwargs):
        setattr(modules, BARE_MODULE, bare_module())
        return original_setup(modules, *args, **kwargs)

    viur.core.setup = setup  # deploy/main.py does `from viur.core import setup` when it is imported below
    try:
        from tools import devapp  # imports deploy/main.py
    finally:
        viur.core.setup = original_setup
    from viur.core.db import transport

    from fahrplan.services import pagecache

    round_trips.install(transport)
    TRACE.parent.mkdir(exist_ok=True)
    return instrument(devapp.app, pagecache.pages.clear, trace=Path(os.environ.get("FAHRPLAN_BENCH_TRACE") or TRACE))


app = _load() if __name__ != "__main__" and os.environ.get("FAHRPLAN_BENCH") == "1" else None
