"""
The public portal: server-rendered, accessible, bilingual pages of the roadmap (published entities only).

A host mounts :class:`Portal` as its ``index`` module. Every page is reached through :meth:`Portal.index`
(viur-core hands it the path segments no other module claims), which reads the language from the URL
(``/en/…`` is English, everything else German), answers from the page cache when it can, and otherwise
asks :mod:`fahrplan.services.portal` for plain data and renders a template.

Templates come from the host's ``html/portal/`` folder first, then from the package (``fahrplan/html/portal``),
so a city overrides one template without copying the others.

While the datastore is down, a page the page cache still holds is served even when older than its TTL
(stale-if-error), with a ``Cache-Control`` that lets no edge keep it long; a page it does not hold gets the
portal's 503 page (:meth:`Portal.outage_page`, answered by :func:`fahrplan.modules.guards.answer_outage`).
Normal public pages carry ``stale-if-error`` so that edges and browsers may show their copy during an outage too.
"""

import datetime
import logging
import typing as t
import urllib.parse
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from viur.core import Module, conf, current, errors, exposed

from ..services import datastore, feedback, pagecache, rendering
from ..services import portal as data

PAGE_TYPES = (
    "",
    "massnahmen",
    "massnahme",
    "ziele",
    "ziel",
    "programm",
    "amt",
    "zeitplan",
    "barrierefreiheit",
    "leichte-sprache",
    "impressum",
    "datenschutz",
    "sitemap.xml",
)
"""The first path segment of every public page (``""`` is the start page)."""

STATIC_PAGES = {
    "barrierefreiheit": "accessibility.html",
    "leichte-sprache": "easy_language.html",
    "impressum": "imprint.html",
    "datenschutz": "privacy.html",
}

LANGUAGES = ("de", "en")

STALE_SECONDS = 5
"""``max-age`` of a stale page served while the datastore is down: edges and browsers ask again soon."""

HTML = "text/html; charset=utf-8"

DETAIL_PAGES = {
    "ziel": ("goal_view.html", "goal", "key", 200),
    "programm": ("programme_view.html", "programme", "short_code", 50),
    "amt": ("department_view.html", "department", "short_code", 50),
}
"""Pages of one goal, programme or department: template, kind (looked up by the URL's segment), the value its
measures are picked by, and how many measures to list."""


class Portal(Module):
    """The public portal (mount it as ``index``)."""

    html = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        package_html = Path(__file__).resolve().parent.parent / "html"
        self.environment = rendering.environment(
            [conf.instance.project_base_path / "html", package_html],
            auto_reload=conf.instance.is_dev_server,
        )
        pagecache.pages.ttl = conf.fahrplan.page_cache_seconds

    # --- Routing ------------------------------------------------------------------------------

    @exposed
    def index(self, *args, **kwargs) -> str:
        """Every public page; ``args`` are the path segments (``en`` first for English)."""
        args = list(args)
        lang = "de"
        if args and args[0] in LANGUAGES:
            lang = args.pop(0)
        current.language.set(lang)
        page = args[0] if args else ""
        if page not in PAGE_TYPES and page != "rueckmeldung":
            raise errors.NotFound()
        request = current.request.get()
        if page == "rueckmeldung":
            return self.feedback(lang, **kwargs)
        if request.isPostRequest:
            raise errors.MethodNotAllowed()

        cache_key = (lang, tuple(args), tuple(sorted((k, str(v)) for k, v in kwargs.items())))
        settings = conf.fahrplan
        seconds = int(settings.edge_cache_seconds)
        stale_if_error = int(settings.stale_if_error_seconds)
        cache_control = f"public, max-age={seconds}, s-maxage={seconds}, stale-if-error={stale_if_error}"
        cached = pagecache.pages.get(cache_key)
        if cached is None:
            try:
                cached = self.render_page(lang, page, args[1:], kwargs)
            except Exception as exc:
                if not datastore.caused_by_outage(exc):
                    raise
                if (stale := pagecache.pages.stale(cache_key, settings.stale_page_seconds)) is None:
                    raise
                cached, age = stale
                logging.warning(f"datastore unavailable: /{'/'.join(args)} served from the page cache, {age:.0f} s old")
                cache_control = f"public, max-age={STALE_SECONDS}, s-maxage={STALE_SECONDS}"
            else:
                pagecache.pages.put(cache_key, cached)
        body, content_type = cached
        headers = request.response.headers
        headers["Content-Type"] = content_type
        headers["Cache-Control"] = cache_control
        return body

    def render_page(self, lang: str, page: str, args: list[str], params: dict) -> tuple[str, str]:
        """Render one page; returns the body and its content type (cached by :meth:`index`)."""
        today = datetime.datetime.now(data.rollup.LOCAL_TZ).date()
        context = self.context(lang, page, args, params)
        if page == "sitemap.xml":
            return self.sitemap(), "application/xml; charset=utf-8"
        if page == "":
            return self.render_template("home.html", context, home=data.home(today)), HTML
        if page == "massnahmen":
            state = data.MeasureFilter.from_params(params)
            return self.render_template(
                "measure_list.html", context, state=state, result=data.measure_list(state)
            ), HTML
        if page == "massnahme" and args[1:2] == ["aenderungen"]:
            cursor = params.get("cursor") if isinstance(params.get("cursor"), str) else None
            try:
                found = data.measure_history(data.parse_key(args[0], "measure"), cursor)
            except ValueError as exc:
                raise errors.BadRequest("Ungültiger Cursor.") from exc
            if found is None:
                raise errors.NotFound()
            return self.render_template("measure_history.html", context, cursor=cursor, **found), HTML
        if page == "massnahme":
            found = data.measure_page(data.parse_key(args[0] if args else None, "measure"), today)
            if found is None:
                raise errors.NotFound()
            return self.render_template("measure_view.html", context, **found), HTML
        if page == "ziele":
            return self.render_template("goal_list.html", context), HTML
        if page in DETAIL_PAGES:
            template, name, value, limit = DETAIL_PAGES[page]
            found = getattr(context["ref"], name)(args[0] if args else None)
            if found is None:
                raise errors.NotFound()
            measures = data.measures_of(name, found[value], limit=limit)
            return self.render_template(template, context, **{name: found}, measures=measures), HTML
        if page == "zeitplan":
            programme = str(params.get("programm") or "")[:100]
            number = str(params.get("seite") or "1")
            number = max(1, min(10_000, int(number))) if number.isdigit() else 1
            return self.render_template(
                "timeline.html", context, programme=programme, timeline=data.timeline(programme, number), today=today
            ), HTML
        return self.render_template(STATIC_PAGES[page], context), HTML

    # --- Rendering ----------------------------------------------------------------------------

    def context(self, lang: str, page: str, args: list[str], params: dict, reference: bool = True) -> dict[str, t.Any]:
        """What every template gets: language, the current path in both languages, reference data (unless
        ``reference`` is false: no datastore access), settings."""
        path = "/" + "/".join([page, *args]) if page else "/"
        query = urllib.parse.urlencode({k: v for k, v in params.items() if isinstance(v, str)})
        suffix = f"?{query}" if query else ""
        return {
            "lang": lang,
            "page": page or "start",
            "path": path,
            "alternate": {
                "de": path + suffix,
                "en": ("/en" + path if path != "/" else "/en/") + suffix,
            },
            "ref": data.reference() if reference else None,
            "settings": conf.fahrplan,
            "_": lambda text: rendering.gettext(text, lang),
            "L": lambda prefix, value: rendering.label(prefix, value, lang),
            "d": lambda value, style="day": rendering.format_date(value, lang, style),
            "n": lambda value, digits=2: rendering.format_number(value, lang, digits),
            "u": lambda target, params=None: rendering.url(lang, target, params),
        }

    def outage_page(self, lang: str, path: str = "/") -> str:
        """The page shown with HTTP 503 for ``path`` while the datastore is down (rendered without the datastore)."""
        segments = [segment for segment in path.split("/") if segment]
        if segments and segments[0] in LANGUAGES:
            segments.pop(0)
        page = segments[0] if segments and segments[0] in PAGE_TYPES else ""
        context = self.context(lang, page, segments[1:] if page else [], {}, reference=False)
        return self.render_template("unavailable.html", context)

    def render_template(self, template: str, context: dict[str, t.Any], **values: t.Any) -> str:
        return self.environment.get_template(f"portal/{template}").render(**context, **values)

    def sitemap(self) -> str:
        """``sitemap.xml``: every public page in both languages."""
        base = conf.fahrplan.public_base_url.rstrip("/")
        ref = data.reference()
        paths = ["/", "/massnahmen", "/ziele", "/zeitplan", *[f"/{page}" for page in STATIC_PAGES]]
        paths += [f"/programm/{item['short_code']}" for item in ref.programmes]
        paths += [f"/ziel/{item['key']}" for item in ref.goals]
        paths += [f"/amt/{item['short_code']}" for item in ref.departments]
        entries = [(path, None) for path in paths]
        entries += [(f"/massnahme/{key}", changed) for key, changed in data.sitemap_keys()]
        lines = ['<?xml version="1.0" encoding="UTF-8"?>']
        lines.append(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">'
        )
        for path, changed in entries:
            english = "/en" + path if path != "/" else "/en/"
            lines.append(f"<url><loc>{xml_escape(base + path)}</loc>")
            if isinstance(changed, datetime.datetime):
                lines.append(f"<lastmod>{changed.date().isoformat()}</lastmod>")
            lines.append(f'<xhtml:link rel="alternate" hreflang="de" href="{xml_escape(base + path)}"/>')
            lines.append(f'<xhtml:link rel="alternate" hreflang="en" href="{xml_escape(base + english)}"/></url>')
        lines.append("</urlset>")
        return "\n".join(lines)

    # --- Accessibility feedback ---------------------------------------------------------------

    def feedback(self, lang: str, **kwargs) -> str:
        """
        The accessibility statement's feedback form (POST): stores the message and mails the CIIO office.

        Returns the accessibility page again, with field errors or a confirmation. Never cached.
        """
        request = current.request.get()
        if not request.isPostRequest:
            raise errors.MethodNotAllowed()
        request.response.headers["Cache-Control"] = "no-store"
        if (request.request.content_length or 0) > feedback.MAX_BODY_BYTES:
            raise errors.RequestTooLarge("Die Rückmeldung ist zu lang.")
        headers = request.request.headers
        if not feedback.from_this_site(headers, request.request.host_url, conf.fahrplan.public_base_url):
            raise errors.Forbidden("Rückmeldungen nimmt das Formular dieser Seite entgegen.")
        posted = feedback.read_form(kwargs)
        errors_ = rendering.check_feedback(posted)
        form = feedback.echoed(posted)
        context = self.context(lang, "barrierefreiheit", [], {})
        if form["website"]:  # the honeypot field people never see: a bot
            return self.render_template("accessibility.html", context, sent=True, form={}, form_errors={})
        if errors_:
            request.response.status = "400 Bad Request"
            return self.render_template("accessibility.html", context, sent=False, form=form, form_errors=errors_)
        gate = feedback.rate_limit()
        if not gate.isQuotaAvailable():
            request.response.status = "429 Too Many Requests"
            request.response.headers["Retry-After"] = str(feedback.RATE_MINUTES * 60)
            limit = {"message": feedback.RATE_LIMITED}
            return self.render_template("accessibility.html", context, sent=False, form=form, form_errors=limit)
        gate.decrementQuota()
        feedback.store(form, lang)
        try:
            feedback.mail(form, conf.fahrplan.office_email)
        except Exception:  # the message is stored; the office also sees it in the datastore
            logging.exception("could not mail the accessibility feedback to the office")
        return self.render_template("accessibility.html", context, sent=True, form={}, form_errors={})
