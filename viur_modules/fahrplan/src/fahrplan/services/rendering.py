"""
The portal's template environment and what templates need: texts in two languages, dates and numbers in
the reader's format, labels of enum values, and the geometry of the SVG charts (no JavaScript needed).
"""

import datetime
import html
import json
import re
import typing as t
import urllib.parse
from pathlib import Path

import jinja2

from .. import languages, texts
from ..types import KpiDirection, MeasureStatus, MilestoneState, Principle, PrincipleState, PublicationState, Rating
from .feedback import LIMITS

ENUMS: dict[str, type] = {
    "measure_status": MeasureStatus,
    "milestone_state": MilestoneState,
    "principle": Principle,
    "principle_state": PrincipleState,
    "rating": Rating,
    "kpi_direction": KpiDirection,
    "publication": PublicationState,
}
"""Label prefixes (as in :mod:`fahrplan.languages`) → the enum with the German labels."""

STATIC = Path("static")
"""The built static folder, relative to the app's working directory (``deploy/``)."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def gettext(text: str, lang: str) -> str:
    """``text`` (German, the source language) in ``lang``; unknown texts stay German."""
    if lang == "de":
        return text
    return texts.TRANSLATIONS.get(lang, {}).get(text, text)


def label(prefix: str, value: t.Any, lang: str) -> str:
    """The label of an enum value (``label("measure_status", "in_progress", "en")`` → ``"In progress"``)."""
    if value in (None, ""):
        return ""
    if lang != "de" and (text := getattr(languages, lang, {}).get(f"fahrplan.{prefix}.{value}")):
        return text
    try:
        return ENUMS[prefix](value).label
    except (KeyError, ValueError):
        return str(value)


def format_date(value: t.Any, lang: str, style: str = "day") -> str:
    """``31.12.2025`` / ``31 Dec 2025``; ``style="month"`` gives ``12/2025``."""
    if isinstance(value, datetime.datetime):
        from .rollup import local_date

        value = local_date(value)
    if not isinstance(value, datetime.date):
        return ""
    if style == "month":
        return f"{value.month:02d}/{value.year}"
    if style == "iso":
        return value.isoformat()
    if lang == "de":
        return value.strftime("%d.%m.%Y")
    return value.strftime("%d %b %Y")


def format_number(value: t.Any, lang: str, digits: int = 2) -> str:
    """``1.234,5`` in German, ``1,234.5`` in English; trailing zeros dropped."""
    if value in (None, ""):
        return ""
    number = float(value)
    text = f"{number:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def one_line(value: t.Any) -> str:
    """A multi-line text (plain or viur-core's HTML: ``<br>``, paragraphs) on one line, parts joined by commas."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|\r?\n", "\n", str(value or ""))
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return ", ".join(part.strip() for part in text.split("\n") if part.strip())


def asset(path: str) -> str:
    """The URL of a built static file with its content hash (cache-busting; see ``tools/build_static.py``)."""
    manifest = _manifest()
    version = manifest.get(path)
    return f"/static/{path}" + (f"?v={version}" if version else "")


_manifest_cache: dict[str, str] | None = None


def _manifest() -> dict[str, str]:
    global _manifest_cache
    if _manifest_cache is None:
        try:
            _manifest_cache = json.loads((STATIC / "build.json").read_text())
        except (OSError, ValueError):
            _manifest_cache = {}
    return _manifest_cache


def url(lang: str, path: str, params: t.Mapping[str, t.Any] | None = None) -> str:
    """A portal URL in ``lang`` (English under ``/en``) with query parameters."""
    if lang != "de":
        path = f"/{lang}" + (path if path != "/" else "/")
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")})
    return path + (f"?{query}" if query else "")


# ------------------------------------------------------------------------------
# Charts
#


def kpi_chart(kpi: t.Mapping[str, t.Any], width: int = 640, height: int = 260) -> dict[str, t.Any] | None:
    """
    The geometry of a KPI's line chart: readings as a line, baseline and target as points joined by the
    expected path (dashed), y axis ticks. None when there is nothing to draw.
    """
    points = list(kpi.get("points") or [])
    anchors = []
    if kpi.get("baseline_date") and kpi.get("baseline_value") is not None:
        anchors.append((kpi["baseline_date"], float(kpi["baseline_value"])))
    if kpi.get("target_date") and kpi.get("target_value") is not None:
        anchors.append((kpi["target_date"], float(kpi["target_value"])))
    every = points + anchors
    if not every:
        return None
    left, right, top, bottom = 64, 16, 16, 36
    dates = [date for date, _ in every]
    values = [value for _, value in every]
    first, last = min(dates), max(dates)
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    span_days = max(1, (last - first).days)

    def x(date: datetime.date) -> float:
        return round(left + (width - left - right) * (date - first).days / span_days, 1)

    def y(value: float) -> float:
        return round(top + (height - top - bottom) * (high - value) / (high - low), 1)

    ticks = [low + (high - low) * step / 4 for step in range(5)]
    years = list(range(first.year + (1 if first.month > 1 or first.day > 1 else 0), last.year + 1))
    if len(years) > 8:
        years = years[:: (len(years) + 7) // 8]
    return {
        "width": width,
        "height": height,
        "line": " ".join(f"{x(date)},{y(value)}" for date, value in points),
        "dots": [(x(date), y(value)) for date, value in points[-40:]],
        "plan": " ".join(f"{x(date)},{y(value)}" for date, value in anchors) if len(anchors) == 2 else "",
        "target": (x(anchors[-1][0]), y(anchors[-1][1])) if len(anchors) == 2 else None,
        "ticks": [(round(y(value), 1), value) for value in ticks],
        "years": [(x(datetime.date(year, 1, 1)), year) for year in years],
        "left": left,
        "right": width - right,
        "bottom": height - bottom,
    }


def timeline_scale(first_year: int, last_year: int, width: int = 1000) -> dict[str, t.Any]:
    """The x axis of the timeline: a function from dates to x positions (0–``width``) and year marks."""
    start = datetime.date(first_year, 1, 1)
    end = datetime.date(last_year + 1, 1, 1)
    days = (end - start).days

    def x(date: datetime.date | None, default: datetime.date) -> float:
        value = date or default
        value = min(max(value, start), end)
        return round(width * (value - start).days / days, 1)

    years = [(x(datetime.date(year, 1, 1), start), year) for year in range(first_year, last_year + 1)]
    return {"x": x, "years": years, "width": width, "start": start, "end": end}


# ------------------------------------------------------------------------------
# Feedback form
#


def check_feedback(form: t.Mapping[str, str]) -> dict[str, str]:
    """Field errors of the accessibility feedback form (German source texts; the template translates)."""
    found = {}
    if not form.get("message"):
        found["message"] = "Bitte beschreiben Sie, was nicht zugänglich ist."
    elif len(form["message"]) > LIMITS["message"]:
        found["message"] = "Bitte fassen Sie sich kürzer (höchstens 5.000 Zeichen)."
    if form.get("email") and not EMAIL.match(form["email"]):
        found["email"] = "Bitte geben Sie eine gültige E-Mail-Adresse an oder lassen Sie das Feld leer."
    if len(form.get("name") or "") > LIMITS["name"]:
        found["name"] = "Der Name ist zu lang (höchstens 200 Zeichen)."
    return found


# ------------------------------------------------------------------------------
# The environment
#


def environment(folders: t.Sequence[Path], auto_reload: bool = False) -> jinja2.Environment:
    """A Jinja environment over ``folders`` (the first wins: the host's ``html/`` before the package's)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)) for folder in folders]),
        autoescape=True,
        auto_reload=auto_reload,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters["one_line"] = one_line
    env.globals.update(
        gettext=gettext,
        label=label,
        format_date=format_date,
        format_number=format_number,
        asset=asset,
        url=url,
        kpi_chart=kpi_chart,
        timeline_scale=timeline_scale,
        Principle=Principle,
        MeasureStatus=MeasureStatus,
        PrincipleState=PrincipleState,
    )
    return env
