"""
The accessibility feedback (the statement's form): checks that hold on a publicly cached page, storage, mail.

The page with the form is cached for everyone, so it cannot carry a per-session CSRF token. A post is taken only
when it comes from the site itself (``Origin``, else ``Referer``, equal to the request's or the configured public
origin), within the form's own length limits, from a client below the rate limit; bots filling the hidden
honeypot field get the confirmation and nothing is stored. The message is stored unindexed (any length the form
allows) before the office is mailed, so a failing mail never loses it.
"""

import datetime
import typing as t
import urllib.parse

LIMITS = {"name": 200, "email": 200, "page": 500, "message": 5000, "website": 200}
"""Field → the most characters the form allows (the template's ``maxlength`` uses the same numbers)."""

MAX_BODY_BYTES = 64 * 1024
"""A larger request body is refused before it is parsed or echoed (5,000 characters need at most 20 KB)."""

RATE_PER_CLIENT = 5
RATE_MINUTES = 10
"""At most :data:`RATE_PER_CLIENT` stored messages per client address in :data:`RATE_MINUTES` minutes (kept in the
datastore, so it holds across instances)."""

KIND = "fahrplan_feedback"

RATE_LIMITED = "Sie haben in kurzer Zeit viele Rückmeldungen gesendet. Bitte versuchen Sie es später."
"""The form's message when a client is over the rate limit (German source text; the template translates)."""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (lower case), or "" when it has none."""
    parts = urllib.parse.urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def from_this_site(headers: t.Mapping[str, str], host_url: str, public_base_url: str) -> bool:
    """Whether a post comes from a page of this site: its ``Origin`` (or ``Referer``) is one of ours."""
    ours = {origin_of(host_url), origin_of(public_base_url)} - {""}
    claimed = headers.get("Origin") or ""
    if claimed and claimed != "null":
        return origin_of(claimed) in ours
    referer = headers.get("Referer") or ""
    return bool(referer) and origin_of(referer) in ours


def read_form(values: t.Mapping[str, t.Any]) -> dict[str, str]:
    """The form's fields as posted (stripped text; the checks see their full length)."""
    form = {}
    for name in LIMITS:
        value = values.get(name)
        form[name] = str(
            value if isinstance(value, str) else (value[0] if isinstance(value, list) and value else "") or ""
        )
        form[name] = form[name].strip()
    return form


def echoed(form: t.Mapping[str, str]) -> dict[str, str]:
    """The fields as the form shows them again: at most as long as the form allows."""
    return {name: form[name][:limit] for name, limit in LIMITS.items()}


def rate_limit():
    """The per-client gate (viur-core's RateLimit, stored in the datastore)."""
    from viur.core.ratelimit import RateLimit

    # RateLimit admits one more call than its maxRate (it compares "<=")
    return RateLimit("fahrplan.feedback", RATE_PER_CLIENT - 1, RATE_MINUTES, "ip")


def store(form: t.Mapping[str, str], lang: str) -> t.Any:
    """Store one message; text fields unindexed (the datastore indexes at most 1,500 bytes per value)."""
    from viur.core import db

    entity = db.Entity(db.Key(KIND), exclude_from_indexes=("name", "email", "page", "message"))
    entity.update(
        name=form["name"],
        email=form["email"],
        page=form["page"],
        message=form["message"],
        language=lang,
        created=datetime.datetime.now(datetime.UTC),
    )
    db.put(entity)
    return entity.key


MAIL_TEMPLATE = (
    "Rückmeldung zur Barrierefreiheit des Fahrplans\n"
    "Eine Rückmeldung zur Barrierefreiheit ist eingegangen.\n\n"
    "Name: {{ skel.name }}\nE-Mail: {{ skel.email }}\nSeite: {{ skel.page }}\n\n{{ skel.message }}\n"
)
"""The office's e-mail (first line: subject). Values come from ``skel``; the visitor's text never becomes template."""


def mail_values(form: t.Mapping[str, str]) -> dict[str, str]:
    """What the office's e-mail shows for each field (an empty optional field says so)."""
    return {
        "name": form["name"] or "(nicht angegeben)",
        "email": form["email"] or "(nicht angegeben)",
        "page": form["page"] or "(nicht angegeben)",
        "message": form["message"],
    }


def mail(form: t.Mapping[str, str], office_email: str) -> None:
    """Mail the message to the office."""
    from viur.core import email

    email.send_email(dests=[office_email], tpl=None, stringTemplate=MAIL_TEMPLATE, skel=mail_values(form))
