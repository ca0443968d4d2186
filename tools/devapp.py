"""
The WSGI app of the run command: the ViUR app plus the static handlers of ``app.yaml``.

On App Engine, ``/static``, ``/vi/s`` and friends are served by the platform from the upload bundle
according to ``app.yaml``; viur-core never sees them. Locally this wrapper reads the same handlers and
serves the same files, so what works here works there. Start it with the working directory ``deploy/``.
"""

import re
from pathlib import Path

import yaml
from werkzeug.middleware.shared_data import SharedDataMiddleware

ROOT = Path(__file__).resolve().parent.parent


def static_exports(app_yaml: Path = ROOT / "app.yaml") -> dict[str, str]:
    """URL prefix → file or folder, from the ``static_dir``/``static_files`` handlers of ``app_yaml``."""
    config = yaml.safe_load(app_yaml.read_text())
    exports: dict[str, str] = {}
    for handler in config.get("handlers", []):
        url = handler["url"]
        if "static_dir" in handler:
            exports[url.rstrip("/")] = str(ROOT / handler["static_dir"])
        elif "static_files" in handler and not re.search(r"[()\\*+?\[]", url):
            exports[url] = str(ROOT / handler["static_files"])
    return exports


def static_headers(app_yaml: Path = ROOT / "app.yaml") -> dict[str, dict[str, str]]:
    """URL prefix → the ``http_headers`` its static handler in ``app_yaml`` sends."""
    config = yaml.safe_load(app_yaml.read_text())
    return {
        handler["url"].rstrip("/") or "/": dict(handler["http_headers"])
        for handler in config.get("handlers", [])
        if handler.get("http_headers") and ("static_dir" in handler or "static_files" in handler)
    }


TRUSTED_PREFIXES = ("HTTP_X_APPENGINE_", "HTTP_X_CLOUDSCHEDULER", "HTTP_X_GOOGLE_INTERNAL_")
"""Request headers only Google's front end may set. App Engine removes them from every incoming request (and
sets its own); the local server must do the same, or any client could pose as the task queue or cron
(``X-AppEngine-TaskName``) or rotate ``X-AppEngine-User-IP`` past the login rate limit."""


def strip_trusted_headers(app):
    """``app`` behind a front end that drops the platform's trusted headers, as App Engine's does."""

    def stripped(environ, start_response):
        for name in [name for name in environ if name.startswith(TRUSTED_PREFIXES)]:
            del environ[name]
        return app(environ, start_response)

    return stripped


def with_static_headers(app, headers: dict[str, dict[str, str]]):
    """``app`` adding each static handler's ``http_headers`` to the responses below its URL prefix."""
    prefixes = sorted(headers, key=len, reverse=True)

    def added(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        prefix = next((p for p in prefixes if path == p or path.startswith(p.rstrip("/") + "/")), None)
        if prefix is None:
            return app(environ, start_response)

        def start(status, response_headers, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            extra = [(name, value) for name, value in headers[prefix].items() if name.lower() not in present]
            return start_response(status, list(response_headers) + extra, exc_info)

        return app(environ, start)

    return added


def wrap(app):
    """``app`` served the way App Engine serves it: trusted headers stripped, the static handlers of ``app.yaml``
    (with their security headers) in front of it."""
    served = SharedDataMiddleware(app, static_exports(), cache=False)
    return strip_trusted_headers(with_static_headers(served, static_headers()))


def _load():
    from tools import journal

    journal.install()  # the run command sets FAHRPLAN_JOURNAL: every write is journaled (see tools.journal)
    import main  # deploy/main.py; importing it starts the ViUR app

    return wrap(main.app)


app = _load()
