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


def wrap(app):
    """``app`` with the static handlers of ``app.yaml`` in front of it."""
    return SharedDataMiddleware(app, static_exports(), cache=False)


def _load():
    import main  # deploy/main.py; importing it starts the ViUR app

    return wrap(main.app)


app = _load()
