"""
Starting an instance while the datastore is down.

viur-core's ``setup()`` reads the datastore three times before the app exists: its startup tasks (on the local
server they run in-process; the user module's creates the first admin), the translations edited in the admin
(``i18n.DatastoreSource``) and the key that signs file URLs (``viur-conf``). When the datastore does not answer,
``setup()`` raised and the instance never started: gunicorn gave up ("Worker failed to boot") and App Engine would
start instance after instance into the same outage.

:func:`setup` (``app = startup.setup(modules, render)`` in the host's ``main.py``) makes these three steps wait
for the datastore instead: each is tried at once and, if the datastore is unreachable, again in a background
thread until it answers (every :data:`RETRY_SECONDS`). Until then the instance answers what needs no datastore
(static files, cached pages) and 503 for the rest (see :mod:`fahrplan.modules.guards`); translations edited in the
admin and file URLs signed by the real key come once the datastore is back. It also wraps the app for App
Engine's warm-up request (:func:`fahrplan.services.warmup.wrap`).
"""

import logging
import threading
import typing as t

from .datastore import caused_by_outage

RETRY_SECONDS = 5.0
"""How often a step that found the datastore down is tried again."""

_pending: list[tuple[str, t.Callable[[], None]]] = []
_lock = threading.Lock()
_retrying: threading.Thread | None = None


def when_available(name: str, step: t.Callable[[], None]) -> None:
    """Run ``step`` now; if the datastore is down, run it again in the background until it is up."""
    try:
        step()
    except Exception as exc:
        if not caused_by_outage(exc):
            raise
        logging.warning(f"start-up: {name} waits for the datastore ({exc})")
        wait_for_datastore(name, step)


def wait_for_datastore(name: str, step: t.Callable[[], None]) -> None:
    """Run ``step`` in the background, every :data:`RETRY_SECONDS`, until the datastore lets it succeed."""
    with _lock:
        _pending.append((name, step))
    _start_retrying()


def pending() -> list[str]:
    """The names of the start-up steps still waiting for the datastore."""
    with _lock:
        return [name for name, _ in _pending]


def retry_pending() -> None:
    """Try every waiting step once (the retry thread calls this; tests may too)."""
    with _lock:
        steps = list(_pending)
    for name, step in steps:
        try:
            step()
        except Exception as exc:
            if not caused_by_outage(exc):
                logging.exception(f"start-up: {name} failed")
            else:
                continue
        with _lock:
            _pending.remove((name, step))
        logging.info(f"start-up: {name} done now that the datastore answers")


def _start_retrying() -> None:
    global _retrying
    with _lock:
        if _retrying is not None and _retrying.is_alive():
            return
        _retrying = threading.Thread(target=_retry_loop, name="start-up-retry", daemon=True)
        _retrying.start()


def _retry_loop() -> None:
    stop = threading.Event()
    while pending():
        stop.wait(RETRY_SECONDS)
        retry_pending()


class WaitingSource:
    """An ``i18n`` translation source that loads when the datastore answers (nothing from it until then)."""

    def __init__(self, source: t.Any):
        self.source = source

    def load(self) -> dict[str, dict[str, t.Any]]:
        try:
            return self.source.load()
        except Exception as exc:
            if not caused_by_outage(exc):
                raise
            logging.warning(f"start-up: translations of {self.source!r} wait for the datastore ({exc})")
            wait_for_datastore(f"translations of {self.source!r}", self.merge)
            return {}

    def merge(self) -> None:
        """Load the source and merge it into the translations viur-core uses."""
        from viur.core import i18n

        for name, translations in self.source.load().items():
            i18n.systemTranslations[name] = i18n.normalize_translations(translations)

    def __repr__(self) -> str:
        return f"WaitingSource({self.source!r})"


class WaitingTasks(list):
    """viur-core's list of startup tasks, handing out each task so that it waits for the datastore (see
    :func:`when_available`) instead of failing ``setup()``; tasks registered later are covered too."""

    def __iter__(self) -> t.Iterator[t.Callable[[], None]]:
        for task in super().__iter__():
            yield lambda task=task: when_available(f"startup task {getattr(task, '__name__', task)!r}", task)


def _guard_startup_tasks() -> None:
    from viur.core import tasks

    queued = getattr(tasks, "_startupTasks", None)
    if isinstance(queued, list) and not isinstance(queued, WaitingTasks):
        tasks._startupTasks = WaitingTasks(queued)


def _guard_translation_sources() -> None:
    from viur.core import conf, i18n

    sources = conf.i18n.sources if conf.i18n.sources is not None else i18n.DEFAULT_TRANSLATION_SOURCES
    conf.i18n.sources = tuple(
        WaitingSource(source) if isinstance(source, i18n.DatastoreSource) else source for source in sources
    )


def _load_file_hmac_key() -> None:
    """viur-core's own start-up step (the key that signs file URLs), done here so that it can wait."""
    from viur.core import conf, db, utils

    if conf.file_hmac_key is not None:  # the host set it
        return

    def load() -> None:
        key = db.Key("viur-conf", "viur-conf")
        entity = db.get(key) or db.Entity(key)
        if "hmacKey" not in entity:
            entity["hmacKey"] = utils.string.random(length=20)
            db.put(entity)
        conf.file_hmac_key = bytes(entity["hmacKey"], "utf-8")

    conf.file_hmac_key = b"waiting-for-the-datastore-" + utils.string.random(length=20).encode()  # replaced below
    when_available("the file URL signing key", load)


def setup(modules: t.Any, render: t.Any, preload: bool = True) -> t.Callable:
    """viur-core's ``setup(modules, render)`` for an instance that may start while the datastore is down."""
    from viur.core import setup as viur_setup

    from . import warmup

    _guard_startup_tasks()
    _guard_translation_sources()
    _load_file_hmac_key()
    if preload:  # the catalogue's round trips and decompression overlap viur-core's setup (the first page needs it)
        warmup.start()
    return warmup.wrap(viur_setup(modules, render), preload=False)
