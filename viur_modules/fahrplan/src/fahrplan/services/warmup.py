"""
App Engine's warm-up request: a new instance loads what the public pages need before it gets visitors.

viur-core answers ``/_ah/warmup`` itself, before any routing, so the host wraps its WSGI app with :func:`wrap`
(``app = warmup.wrap(setup(modules, render))`` in ``deploy/main.py``; ``inbound_services: [warmup]`` in
``app.yaml``): the wrapper loads the catalogue of published measures and the reference data, then lets viur-core
answer. :func:`wrap` also starts a background load when the app is set up, so that where App Engine sends no
warm-up request (a manual start, the local server) the first visitor finds the catalogue loaded or loading.
"""

import logging
import threading
import typing as t

from . import catalogue
from . import portal as data

PATH = "/_ah/warmup"


def warm() -> int:
    """Load the catalogue (waiting for a background load that runs) and the reference data; returns the measures."""
    loaded = catalogue.catalogue()
    data.reference()
    logging.info(f"warm-up: catalogue of {len(loaded.entries)} published measures loaded")
    return len(loaded.entries)


def wrap(app: t.Callable, preload: bool = True) -> t.Callable:
    """The WSGI ``app`` that warms up on ``/_ah/warmup``; with ``preload``, start warming up now (:func:`start`)."""

    def warming(environ: dict, start_response: t.Callable) -> t.Any:
        if environ.get("PATH_INFO", "").startswith(PATH):
            try:
                warm()
            except Exception:  # the instance still starts; its first page view loads again
                logging.exception("warm-up failed")
        return app(environ, start_response)

    if preload:
        start()
    return warming


def start() -> threading.Thread:
    """Warm up in a background thread (at instance start, before the first visitor)."""

    def run() -> None:
        try:
            warm()
        except Exception:  # the first page view loads again
            logging.exception("background warm-up failed")

    global _background
    thread = _background = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


_background: threading.Thread | None = None


def wait(timeout: float = 60.0) -> None:
    """Wait for the background warm-up to end (tests that reset the database must not race it)."""
    if _background is not None:
        _background.join(timeout)
