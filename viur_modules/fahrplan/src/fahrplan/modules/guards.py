"""
Request and response rules that hold for every module and render of a host app (registered when
``fahrplan.modules`` is imported).

Malformed input is refused before any module sees it (:func:`refuse_malformed`, viur-core's
``conf.request_preprocessor``): a query string or path that is not valid UTF-8 after percent-decoding, a
``cursor`` that is not a cursor, a numeric key beyond the datastore's 64-bit ids, a repeated ``skey``. Each gets
a clear 400 or 404 instead of a traceback from deep inside the datastore client.

A response that sets a cookie, or that was made for a request carrying the session cookie, may differ per
person (a logged-in editor, an anonymous session holding an skey). No shared or edge cache may keep it:
such responses are sent ``private, no-store`` with ``Vary: Cookie``, whatever the handler set. Only
cookie-free requests answered without ``Set-Cookie`` keep a public ``Cache-Control``.

Every datastore call gets a deadline and passes the instance's circuit breaker (:mod:`fahrplan.services.datastore`,
installed on viur-core's client when this module is imported). When the datastore does not answer, the request is
answered with HTTP 503, ``Retry-After`` and ``no-store`` (:func:`answer_outage`, viur-core's ``conf.error_handler``):
a portal page in the visitor's language for html, a JSON error body for ``/json`` and ``/vi``; never a traceback.
"""

import base64
import binascii
import html
import json
import logging
import math
import typing as t
import urllib.parse

from viur.core import conf, current, errors, request, session

from ..services import datastore, rendering

PRIVATE = "private, no-store"

MAX_ID = 2**63 - 1
"""The largest numeric id a datastore key can hold."""

CURSOR_PARAMS = ("cursor", "startCursor", "endCursor")


def decoded_strictly(text: str) -> bool:
    """Whether percent-decoding ``text`` gives valid UTF-8."""
    try:
        urllib.parse.unquote_to_bytes(text.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def valid_cursor(value: str) -> bool:
    """Whether ``value`` has the shape of viur-core's cursors (URL-safe base64 of the datastore's base64 cursor)."""
    try:
        inner = base64.urlsafe_b64decode(value.encode("ascii")).decode("ascii")
        base64.urlsafe_b64decode(inner.encode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        return False
    return bool(inner)


def malformed(path: str, query: str) -> errors.HTTPException | None:
    """The client error a request with this raw ``path`` and ``query`` string deserves, or None when it is fine."""
    if not decoded_strictly(query) or not decoded_strictly(path):
        return errors.BadRequest("Die Anfrage ist nicht gültig kodiert (UTF-8).")
    for segment in urllib.parse.unquote(path).split("/"):
        if segment.isdigit() and int(segment) > MAX_ID:
            return errors.NotFound()
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name in CURSOR_PARAMS and value and not valid_cursor(value):
            return errors.BadRequest("Ungültiger Cursor.")
        if name == "key" and value.isdigit() and int(value) > MAX_ID:
            return errors.NotFound()
    return None


def refuse_malformed(path: str) -> str:
    """viur-core's request preprocessor: raise the client error of a malformed request, else pass ``path`` on."""
    environ = current.request.get().request.environ
    raw_path = environ.get("RAW_URI", "").partition("?")[0] or urllib.parse.quote(
        environ.get("PATH_INFO", "").encode("latin-1"), safe="/"
    )
    if error := malformed(raw_path, environ.get("QUERY_STRING", "")):
        raise error
    if len(current.request.get().request.params.getall("skey")) > 1:
        raise errors.BadRequest("Das Feld skey darf nur einmal gesendet werden.")
    return _previous_preprocessor(path) if _previous_preprocessor else path


_previous_preprocessor = conf.request_preprocessor
conf.request_preprocessor = refuse_malformed


def personal(response_headers: list[tuple[str, str]], request_cookies: dict, user: object) -> bool:
    """Whether a response is personal: it sets a cookie, the request carried the session cookie, or a user is in."""
    if any(name.lower() == "set-cookie" for name, _ in response_headers):
        return True
    return user is not None or session.Session.cookie_name in request_cookies


@request.after_request
def never_cache_personal_responses() -> None:
    """Make personal responses uncacheable by shared caches (see the module docstring)."""
    router = current.request.get()
    if router is None:
        return
    response = router.response
    if not personal(response.headerlist, router.request.cookies, current.user.get()):
        return
    response.headers["Cache-Control"] = PRIVATE
    vary = {part.strip() for part in (response.headers.get("Vary") or "").split(",") if part.strip()}
    response.headers["Vary"] = ", ".join(sorted(vary | {"Cookie"}))


# ------------------------------------------------------------------------------
# The datastore is down
#

datastore.install()

UNAVAILABLE_TITLE = "Vorübergehend nicht erreichbar"
UNAVAILABLE_TEXT = (
    "Der Fahrplan ist gerade nicht erreichbar, weil seine Datenbank nicht antwortet. "
    "Bitte versuchen Sie es in einigen Minuten noch einmal."
)
"""Title and text of the 503 answer (German source texts, as in ``portal/unavailable.html``; English in
:mod:`fahrplan.texts`)."""


def retry_after() -> int:
    """Seconds a client should wait before asking again (``Retry-After``)."""
    return max(1, math.ceil(max(datastore.settings().outage_retry_after_seconds, datastore.breaker.retry_after())))


def outage_language(path: str) -> str:
    """The portal's language of a request path (``/en/…`` is English, everything else German)."""
    return "en" if path.strip("/").split("/")[0] == "en" else "de"


def outage_body(path: str, lang: str) -> tuple[str, str]:
    """The 503 body for ``path`` and its content type: JSON for the APIs, the portal's page for everything else."""
    title, text = rendering.gettext(UNAVAILABLE_TITLE, lang), rendering.gettext(UNAVAILABLE_TEXT, lang)
    if path.strip("/").split("/")[0] in ("json", "vi"):
        body = {"status": 503, "reason": "Service Unavailable", "title": title, "descr": text}
        return json.dumps(body), "application/json"
    page = getattr(conf.main_app, "outage_page", None)
    if page is not None:
        try:
            return page(lang, path), "text/html; charset=utf-8"
        except Exception:
            logging.exception("could not render the portal's outage page")
    plain = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return plain, "text/html; charset=utf-8"


def respond_unavailable(router: t.Any) -> str:
    """Make ``router``'s response the 503 answer of an outage (status, headers); returns its body."""
    path = router.request.path
    body, content_type = outage_body(path, outage_language(path))
    response = router.response
    response.status = "503 Service Unavailable"
    response.headers["Content-Type"] = content_type
    response.headers["Retry-After"] = str(retry_after())
    response.headers["Cache-Control"] = "no-store"
    response.headers.pop("x-viur-error", None)
    return body


def answer_outage(exc: Exception) -> str | None:
    """
    viur-core's error handler: a 503 answer when the request failed because the datastore did not answer.

    Other errors go to the error handler the host had before (or viur-core's error page). The session is not
    written back (it could not be), and nothing may cache the answer.
    """
    if not datastore.caused_by_outage(exc):
        return _previous_error_handler(exc) if _previous_error_handler else None
    if (current_session := current.session.get()) is not None:
        current_session.changed = False
    return respond_unavailable(current.request.get())


@request.before_request
def save_session_or_answer_unavailable() -> None:
    """
    Turn a session that cannot be written back into the 503 answer.

    viur-core writes a changed session in the ``finally`` of its request handling, after the error handler; an
    outage there would escape viur-core and reach the WSGI server as a bare 500. The session of this request
    gets a ``save`` that answers 503 instead (the visitor's new session or skey is lost either way).
    """
    current_session = current.session.get()
    save = current_session.save

    def save_or_answer_unavailable() -> None:
        try:
            save()
        except Exception as exc:
            if not datastore.caused_by_outage(exc):
                raise
            logging.warning(f"the session could not be saved: {exc}")
            router = current.request.get()
            router.response.body = respond_unavailable(router).encode("utf-8")

    current_session.save = save_or_answer_unavailable


_previous_error_handler = conf.error_handler
conf.error_handler = answer_outage
