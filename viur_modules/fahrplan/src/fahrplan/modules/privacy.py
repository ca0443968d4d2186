"""
Response rules that hold for every module and render of a host app (registered when ``fahrplan.modules`` is
imported).

A response that sets a cookie, or that was made for a request carrying the session cookie, may differ per
person (a logged-in editor, an anonymous session holding an skey). No shared or edge cache may keep it:
such responses are sent ``private, no-store`` with ``Vary: Cookie``, whatever the handler set. Only
cookie-free requests answered without ``Set-Cookie`` keep a public ``Cache-Control``.
"""

from viur.core import current, request, session

PRIVATE = "private, no-store"


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
