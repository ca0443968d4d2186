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
"""

import base64
import binascii
import urllib.parse

from viur.core import conf, current, errors, request, session

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
