"""Counting the datastore round trips of a block of code (gets, queries, counts, puts)."""

import contextlib


@contextlib.contextmanager
def count_round_trips():
    """Count datastore round trips (gets, queries, counts, puts) made inside the block."""
    from viur.core import db
    from viur.core.db import query as query_module
    from viur.core.db import transport

    calls = []
    patched = []

    def wrap(module, name):
        original = getattr(module, name)

        def counting(*args, **kwargs):
            calls.append(name)
            return original(*args, **kwargs)

        patched.append((module, name, original))
        setattr(module, name, counting)

    for module, name in [
        (transport, "run_single_filter"),
        (query_module, "run_single_filter"),
        (transport, "count"),
        (query_module, "count"),
        (db, "get"),
        (db, "put"),
    ]:
        wrap(module, name)
    try:
        yield calls
    finally:
        for module, name, original in patched:
            setattr(module, name, original)


@contextlib.contextmanager
def record_queries():
    """Record the kind of every datastore query run inside the block (kindless queries as None)."""
    from viur.core.db import query as query_module
    from viur.core.db import transport

    kinds: list[str | None] = []
    originals = {module: module.run_single_filter for module in (transport, query_module)}

    def recording(original):
        def run(query, *args, **kwargs):
            kinds.append(query.kind)
            return original(query, *args, **kwargs)

        return run

    for module, original in originals.items():
        module.run_single_filter = recording(original)
    try:
        yield kinds
    finally:
        for module, original in originals.items():
            module.run_single_filter = original
