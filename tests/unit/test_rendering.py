"""The portal's pure helpers: chart geometry, number and date formats, the page cache."""

import datetime
import time

from fahrplan.services import rendering
from fahrplan.services.pagecache import PageCache


def test_kpi_chart_places_readings_between_baseline_and_target():
    kpi = {
        "points": [(datetime.date(2022, 1, 1), 20.0), (datetime.date(2023, 1, 1), 40.0)],
        "baseline_date": datetime.date(2021, 1, 1),
        "baseline_value": 10,
        "target_date": datetime.date(2025, 1, 1),
        "target_value": 90,
    }
    chart = rendering.kpi_chart(kpi)
    xs = [x for x, _ in chart["dots"]]
    ys = [y for _, y in chart["dots"]]
    assert chart["left"] < xs[0] < xs[1] < chart["right"]  # time runs left to right
    assert ys[1] < ys[0]  # a higher value is drawn higher up (smaller y)
    assert chart["plan"] and chart["target"][0] == chart["right"]  # target date at the right edge
    assert [year for _, year in chart["years"]] == [2021, 2022, 2023, 2024, 2025]


def test_kpi_chart_without_data_is_none_and_flat_series_do_not_divide_by_zero():
    assert rendering.kpi_chart({"points": []}) is None
    flat = rendering.kpi_chart({"points": [(datetime.date(2024, 1, 1), 5.0), (datetime.date(2024, 6, 1), 5.0)]})
    assert flat["ticks"] and len({y for _, y in flat["dots"]}) == 1


def test_timeline_scale_clamps_to_its_years():
    scale = rendering.timeline_scale(2020, 2027, width=800)
    assert scale["x"](datetime.date(2020, 1, 1), scale["start"]) == 0
    assert scale["x"](datetime.date(2035, 1, 1), scale["start"]) == 800  # beyond the axis: at its end
    assert scale["x"](None, scale["end"]) == 800  # open end: drawn to the end


def test_numbers_and_dates_in_the_readers_format():
    assert rendering.format_number(1234.5, "de") == "1.234,5"
    assert rendering.format_number(1234.5, "en") == "1,234.5"
    assert rendering.format_number(None, "de") == ""
    assert rendering.format_date(datetime.date(2025, 3, 31), "de") == "31.03.2025"
    assert rendering.format_date(datetime.date(2025, 3, 31), "de", "month") == "03/2025"
    assert rendering.url("en", "/massnahmen", {"status": "planned", "amt": ""}) == "/en/massnahmen?status=planned"
    assert rendering.url("de", "/") == "/"


def test_page_cache_expires_and_stays_bounded():
    cache = PageCache(ttl=0.05, size=2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    time.sleep(0.06)
    assert cache.get("a") is None  # older than the TTL
    for key in "bcd":
        cache.put(key, key)
    assert len(cache) == 2 and cache.get("b") is None and cache.get("d") == "d"  # least recently used left


def test_addresses_print_on_one_line():
    """Postal addresses are stored as text or viur-core HTML; the contact box shows them as one line."""
    assert rendering.one_line("Stadt Dortmund<br>Ordnungsamt<br />Beispielplatz 2") == (
        "Stadt Dortmund, Ordnungsamt, Beispielplatz 2"
    )
    assert rendering.one_line("<p>Friedensplatz 1</p><p>44135 Dortmund &amp; Umgebung</p>") == (
        "Friedensplatz 1, 44135 Dortmund & Umgebung"
    )
    assert rendering.one_line("Zeile 1\nZeile 2") == "Zeile 1, Zeile 2"
    assert rendering.one_line(None) == ""
