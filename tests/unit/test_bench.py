"""The benchmark's pure parts: statistics, the tables, the targets, the round-trip counter and the bench headers."""

import json
import types

import pytest

from tools import bench, bench_app


def test_percentile_interpolates_between_ranks():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert bench.percentile(values, 50) == 3.0
    assert bench.percentile(values, 0) == 1.0
    assert bench.percentile(values, 100) == 5.0
    assert bench.percentile(values, 95) == pytest.approx(4.8)
    assert bench.percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        bench.percentile([], 50)


def sample(page, mode, ms, size="L", trips=()):
    """A sample of 10 requests of ``ms`` milliseconds each, taking 10 × ``ms`` in all."""
    return bench.Sample(size, page, mode, [ms / 1000] * 10, ms / 100, list(trips))


def test_sample_figures():
    s = bench.Sample("S", "start page", "warm", [0.001, 0.002, 0.003, 0.004], 0.01, [2, 3, 3, 2], [1, 2, 2, 9])
    assert s.median_ms == pytest.approx(2.5)
    assert s.p95_ms == pytest.approx(3.85)
    assert s.rps == pytest.approx(400)
    assert s.trips == "2–3"
    assert s.datastore_ms == "2.0"
    assert sample("x", "floor", 1).datastore_ms == "–"
    assert sample("x", "warm", 1, trips=[4, 4]).trips == "4"
    assert sample("x", "floor", 1).trips == "–"


def test_markdown_table_pads_and_aligns():
    text = bench.markdown_table(["name", "ms"], [["start page", "1.5"], ["list", "12.0"]], right={1})
    assert text.splitlines() == [
        "| name       |   ms |",
        "|------------|-----:|",
        "| start page |  1.5 |",
        "| list       | 12.0 |",
    ]


def test_results_table_has_ratios_to_the_bare_page():
    text = bench.results_table([sample("start page", "warm", 3), sample("bare ViUR page", "floor", 2)])
    start = next(line for line in text.splitlines() if "start page" in line)
    assert "1.50×" in start and "67 %" in start


def test_targets_pass_and_fail():
    ok = [
        sample("bare ViUR page", "floor", 2),
        *(sample(page, "warm", 3) for page in bench.PUBLIC_PAGES),
        *(sample(page, "cold", 100, trips=[3]) for page in bench.PUBLIC_PAGES),
        *(sample(page, "cold", 50, size="S", trips=[3]) for page in bench.PUBLIC_PAGES),
    ]
    assert [target.ok for target in bench.targets(ok)] == [True, True, True, True]

    bad = [
        sample("bare ViUR page", "floor", 2),
        sample("start page", "warm", 5),  # 2.5× the bare median, 40 % of its throughput
        sample("start page", "cold", 200, trips=[5]),
        sample("start page", "cold", 50, size="S", trips=[3]),
    ]
    assert [target.ok for target in bench.targets(bad)] == [False, False, False, False]
    assert "✗" in bench.targets_table(bench.targets(bad))


def test_round_trips_are_counted_wherever_the_functions_are_referenced():
    calls = []
    transport = types.ModuleType("fake_transport")
    for name in bench_app.COUNTED:
        setattr(transport, name, lambda *args, _name=name, **kwargs: calls.append(_name) or _name)
    reexport = types.ModuleType("fake_db")
    reexport.get, reexport.put, reexport.other = transport.get, transport.put, len
    by_name = types.ModuleType("fake_query")
    by_name.run_single_filter, by_name.count = transport.run_single_filter, transport.count

    counter = bench_app.RoundTrips()
    assert counter.install(transport, [transport, reexport, by_name]) == len(bench_app.COUNTED) + 4
    assert counter.install(transport, [transport, reexport, by_name]) == 0  # no double wrapping
    counter.reset()
    assert reexport.get("k") == "get"
    reexport.put("e")
    by_name.run_single_filter("q")
    by_name.count("q")
    transport.delete("k")
    assert reexport.other("ab") == 2
    assert counter.count == 5
    assert calls == ["get", "put", "run_single_filter", "count", "delete"]
    counter.reset()
    assert counter.count == 0


def test_instrument_adds_the_count_and_clears_the_cache_on_cold_requests():
    counter = bench_app.RoundTrips()
    counted = counter.wrap(lambda: None)
    cleared = []

    def app(environ, start_response):
        counted()
        counted()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hi"]

    wrapped = bench_app.instrument(app, lambda: cleared.append(True), counter)
    responses = []
    body = wrapped({}, lambda status, headers, exc_info=None: responses.append((status, dict(headers))))
    assert body == [b"hi"]
    [(status, headers)] = responses
    assert status == "200 OK" and headers["Content-Type"] == "text/plain"
    assert headers[bench_app.COUNT_HEADER] == "2" and float(headers[bench_app.SECONDS_HEADER]) >= 0
    assert cleared == []
    wrapped({bench_app.COLD_HEADER: "1", "PATH_INFO": "/x"}, lambda *args: None)
    assert cleared == [True]


def test_trace_lines_and_datastore_time(tmp_path, monkeypatch):
    """The datastore time of nested calls is counted once (a fake clock: the nested call takes exactly 20 ms)."""
    clock = [100.0]
    monkeypatch.setattr(bench_app.time, "perf_counter", lambda: clock[0])

    def slow_call():
        clock[0] += 0.020

    counter = bench_app.RoundTrips()
    nested = counter.wrap(slow_call)
    outer = counter.wrap(lambda: nested())

    def app(environ, start_response):
        outer()
        start_response("200 OK", [])
        return [b""]

    trace = tmp_path / "trace.jsonl"
    bench_app.instrument(app, None, counter, trace)({"PATH_INFO": "/x"}, lambda *args: None)
    line = json.loads(trace.read_text())
    assert line["path"] == "/x" and line["calls"] == 2 and not line["cold"]
    assert line["datastore_ms"] == 20  # the nested call's time is not counted twice


def test_bench_app_refuses_to_load_outside_the_benchmark(monkeypatch):
    monkeypatch.delenv("FAHRPLAN_BENCH", raising=False)
    assert bench_app.app is None
    with pytest.raises(RuntimeError, match="FAHRPLAN_BENCH"):
        bench_app._load()


def test_nginx_config_serves_the_folder_in_the_foreground(tmp_path):
    config = bench.nginx_config(tmp_path, 8999, run_as_root=False)
    assert "daemon off;" in config and "listen 127.0.0.1:8999;" in config and f"root {tmp_path}/www;" in config
    assert "user root;" not in config


def test_writers_table_reports_saves_per_second_and_failed_saves():
    ok = bench.WriterSample("S", 10, 200, {}, [0.05] * 200, 20.0)
    bad = bench.WriterSample("L", 10, 150, {"HTTP 500": 12, "edit": 3}, [0.2] * 165, 30.0)
    lines = bench.writers_table([ok, bad]).splitlines()
    assert [cell.strip() for cell in lines[0].split("|")[1:-1]] == [
        "size",
        "writers",
        "saves",
        "saves/s",
        "median ms",
        "p95 ms",
        "failed saves",
    ]
    assert [cell.strip() for cell in lines[2].split("|")[1:-1]] == ["S", "10", "200", "10.0", "50", "50", "0"]
    assert [cell.strip() for cell in lines[3].split("|")[1:-1]][3:] == ["5.0", "200", "200", "HTTP 500: 12, edit: 3"]


def test_start_rows_and_target():
    """The instance-start table states the catalogue's memory and the time to the first page; the target is < 2 s."""
    fast = bench.StartSample("L", 10000, 30 * 2**20, 0.4, 1.5, 1.2)
    slow = bench.StartSample("L", 10000, 30 * 2**20, 0.4, 53.0)
    table = bench.start_table([bench.StartSample("S", 300, 2**20, 0.05, 1.2), fast])
    assert "| L    |     10000 |         30.0 |" in table
    assert "1.50" in table
    assert [target.ok for target in bench.start_target([fast])] == [True]
    assert [target.ok for target in bench.start_target([slow])] == [False]
    assert bench.start_target([]) == []
