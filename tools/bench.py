"""
The performance benchmark (``make bench``): public portal pages against a bare ViUR page and nginx.

For each workload size (``--sizes S,L``) it starts its own Firestore emulator and storage stub, writes the
synthetic roadmap (:func:`fahrplan.testing.workloads.generate`), serves the app with gunicorn from ``deploy/``
like ``make run`` does (``-w 1 --threads 4``, WSGI app :mod:`tools.bench_app`), serves the same page bytes with
nginx as static files, and measures with a sequential client on one keep-alive connection:

- the start page ``/``, the measure list ``/massnahmen`` and a published measure's page, each **warm** (served
  from the portal's page cache) and **cold** (page cache cleared before every request; the reference data of
  programmes/goals/departments and the catalogue of published measures stay loaded, as they do in a running
  instance, syncing every 15 s) — plus the imprint (a template
  with settings only) for information;
- a **bare ViUR page** (a template without data, through viur-core's request handling) and **nginx** serving
  the start page's bytes: the floors the portal is compared with;
- **concurrent writers** (``--writers N``): N editors saving different measures at once, with saves per second,
  latency and failed saves.

Per row: median and p95 latency (ms), requests per second, datastore round trips per request (counted in the
server, see :mod:`tools.bench_app`). Then the targets with ✓/✗. It prints the table and writes it to
``.artifacts/bench.md``. Everything it starts is stopped at the end, also on Ctrl-C and errors.

    python -m tools.bench                      # S and L
    python -m tools.bench --sizes S --warm 200
    python -m tools.bench --sizes S,2000       # 2,000 measures instead of L's 10,000
"""

import argparse
import contextlib
import dataclasses
import datetime
import http.client
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

from tools import emulators

ROOT = emulators.ROOT
ARTIFACT = ROOT / ".artifacts" / "bench.md"
PROJECT_ID = "fahrplan-bench"
COUNT_HEADER = "X-Bench-Datastore-Calls"
SECONDS_HEADER = "X-Bench-Datastore-Ms"

WARM_FACTOR = 2.0
"""Target: a warm public page's median within this factor of the bare ViUR page's median (at the largest size)."""
COLD_MS = 150.0
"""Target: a cold render of any public page under this many milliseconds (median, at the largest size)."""
MAX_ROUND_TRIPS = 4
"""Target: at most this many datastore round trips per page render, the same at every size."""
MIN_THROUGHPUT = 0.5
"""Target: warm public-page throughput at least this share of the bare ViUR page's."""


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# ------------------------------------------------------------------------------
# Pure parts: statistics and the table
#


def percentile(values: t.Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) of ``values``, linearly interpolated between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclasses.dataclass
class Sample:
    """The measurements of one page in one mode."""

    size: str
    page: str
    mode: str  # "warm", "cold", "floor"
    latencies: list[float]  # seconds per request
    elapsed: float  # seconds for all requests
    round_trips: list[int]  # per request (empty: not counted)
    datastore_seconds: list[float] = dataclasses.field(default_factory=list)  # per request, in the server

    @property
    def median_ms(self) -> float:
        return percentile(self.latencies, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 95) * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    @property
    def trips(self) -> str:
        """Round trips per request: ``"3"`` or ``"2–3"`` when they vary, ``"–"`` when not counted."""
        if not self.round_trips:
            return "–"
        low, high = min(self.round_trips), max(self.round_trips)
        return str(low) if low == high else f"{low}–{high}"

    @property
    def datastore_ms(self) -> str:
        """Median time per request the server spent in datastore calls (ms), ``"–"`` when not measured."""
        return f"{percentile(self.datastore_seconds, 50):.1f}" if self.datastore_seconds else "–"


def markdown_table(headers: t.Sequence[str], rows: t.Sequence[t.Sequence[t.Any]], right: set[int] = frozenset()):
    """A Markdown table with padded columns (``right``: indexes of right-aligned columns)."""
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(headers))]

    def line(row):
        padded = [
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths))
    return "\n".join([line(cells[0]), rule + "|", *(line(row) for row in cells[1:])])


def results_table(samples: t.Sequence[Sample]) -> str:
    """One row per sample; ratios against the bare ViUR page of the same size."""
    bare = {s.size: s for s in samples if s.page == "bare ViUR page"}
    rows = []
    for sample in samples:
        floor = bare.get(sample.size)
        ratio = f"{sample.median_ms / floor.median_ms:.2f}×" if floor else "–"
        share = f"{100 * sample.rps / floor.rps:.0f} %" if floor and floor.rps else "–"
        rows.append(
            [
                sample.size,
                sample.page,
                sample.mode,
                f"{sample.median_ms:.1f}",
                f"{sample.p95_ms:.1f}",
                f"{sample.rps:.0f}",
                sample.trips,
                sample.datastore_ms,
                ratio,
                share,
            ]
        )
    headers = [
        "size",
        "page",
        "mode",
        "median ms",
        "p95 ms",
        "req/s",
        "DS calls",
        "DS ms",
        "median / bare",
        "req/s % bare",
    ]
    return markdown_table(headers, rows, right={3, 4, 5, 6, 7, 8, 9})


PUBLIC_PAGES = ("start page", "measure list", "measure page")

FIRST_PAGE_SECONDS = 2.0
"""Target: a new instance serves its first public page this soon after its process started (at the largest size)."""


@dataclasses.dataclass
class StartSample:
    """How a new instance starts at one size: its catalogue's memory and the time to its first public page."""

    size: str
    measures: int  # published measures in the catalogue
    catalogue_bytes: int  # retained by the loaded catalogue (tracemalloc, allocations of services/catalogue.py)
    load_seconds: float  # one complete load in that process (snapshot + changes since)
    first_page_seconds: float  # gunicorn's process start → the first 200 of the start page
    ready_seconds: float | None = None  # gunicorn's process start → viur-core's first answer (/json/skey)


def start_table(samples: t.Sequence[StartSample]) -> str:
    rows = [
        [
            s.size,
            f"{s.measures}",
            f"{s.catalogue_bytes / 2**20:.1f}",
            f"{s.catalogue_bytes / max(s.measures, 1) / 1024:.1f}",
            f"{1000 * s.load_seconds:.0f}",
            f"{s.ready_seconds:.2f}" if s.ready_seconds is not None else "–",
            f"{s.first_page_seconds:.2f}",
        ]
        for s in samples
    ]
    headers = [
        "size",
        "published",
        "catalogue MB",
        "KB / measure",
        "catalogue load ms",
        "process start → app answers s",
        "process start → first page s",
    ]
    return markdown_table(headers, rows, right={1, 2, 3, 4, 5, 6})


def start_target(samples: t.Sequence[StartSample]) -> list["Target"]:
    if not samples:
        return []
    top = next((s for s in samples if s.size == "L"), samples[-1])
    return [
        Target(
            f"first public page at {top.size} under {FIRST_PAGE_SECONDS:g} s after the process start",
            f"{top.first_page_seconds:.2f} s (viur-core answers after "
            f"{top.ready_seconds if top.ready_seconds is not None else float('nan'):.2f} s; catalogue "
            f"{top.catalogue_bytes / 2**20:.1f} MB, loaded in {1000 * top.load_seconds:.0f} ms)",
            top.first_page_seconds < FIRST_PAGE_SECONDS,
        )
    ]


@dataclasses.dataclass
class Target:
    name: str
    measured: str
    ok: bool | None  # None: could not be evaluated


def targets(samples: t.Sequence[Sample]) -> list[Target]:
    """The four targets, evaluated at the largest size measured (round trips: across all sizes)."""
    by = {(s.size, s.page, s.mode): s for s in samples}
    sizes = list(dict.fromkeys(s.size for s in samples))
    if not sizes:
        return []
    top = "L" if "L" in sizes else sizes[-1]
    bare = by.get((top, "bare ViUR page", "floor"))
    result = []

    warm = [by[(top, page, "warm")] for page in PUBLIC_PAGES if (top, page, "warm") in by]
    if bare and warm:
        worst = max(warm, key=lambda s: s.median_ms)
        factor = worst.median_ms / bare.median_ms
        result.append(
            Target(
                f"warm public pages at {top} within {WARM_FACTOR:g}× the bare ViUR median",
                f"worst {worst.page}: {worst.median_ms:.1f} ms = {factor:.2f}× bare ({bare.median_ms:.1f} ms)",
                factor <= WARM_FACTOR,
            )
        )
    cold = [by[(top, page, "cold")] for page in PUBLIC_PAGES if (top, page, "cold") in by]
    if cold:
        worst = max(cold, key=lambda s: s.median_ms)
        result.append(
            Target(
                f"cold render of any public page at {top} under {COLD_MS:g} ms (median)",
                f"worst {worst.page}: {worst.median_ms:.1f} ms (p95 {worst.p95_ms:.1f} ms)",
                worst.median_ms < COLD_MS,
            )
        )
    counted = [s for s in samples if s.page in PUBLIC_PAGES and s.mode == "cold" and s.round_trips]
    if counted:
        most = max(max(s.round_trips) for s in counted)
        per_page = {}
        for sample in counted:
            per_page.setdefault(sample.page, set()).add(sample.trips)
        same = all(len(values) == 1 for values in per_page.values())
        detail = ", ".join(f"{page} {'/'.join(sorted(values))}" for page, values in per_page.items())
        result.append(
            Target(
                f"datastore round trips per page ≤ {MAX_ROUND_TRIPS} and the same at {' and '.join(sizes)}",
                f"max {most}; {detail}",
                most <= MAX_ROUND_TRIPS and same,
            )
        )
    if bare and warm:
        worst = min(warm, key=lambda s: s.rps)
        share = worst.rps / bare.rps
        result.append(
            Target(
                f"public-page throughput at {top} ≥ {100 * MIN_THROUGHPUT:.0f} % of the bare ViUR page",
                f"worst {worst.page}: {worst.rps:.0f} req/s = {100 * share:.0f} % of {bare.rps:.0f} req/s",
                share >= MIN_THROUGHPUT,
            )
        )
    return result


def targets_table(items: t.Sequence[Target]) -> str:
    mark = {True: "✓", False: "✗", None: "?"}
    return markdown_table(["target", "measured", ""], [[i.name, i.measured, mark[i.ok]] for i in items])


# ------------------------------------------------------------------------------
# The client
#


class Client:
    """A sequential HTTP client on one keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, http.client.HTTPMessage]:
        try:
            self.connection.request("GET", path, headers=headers or {})
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):  # the server closed the idle connection: once more
            self.connection.close()
            self.connection.request("GET", path, headers=headers or {})
            response = self.connection.getresponse()
        body = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, body, response.headers

    def run(
        self,
        size: str,
        page: str,
        mode: str,
        path: str,
        count: int,
        seconds: float,
        cold: bool = False,
        warmup: int = 0,
    ):
        """
        ``count`` requests of ``path`` (fewer when ``seconds`` are up) after ``warmup`` unmeasured ones (which
        also fill the page cache again after another page's cold run); a :class:`Sample`.
        """
        headers = {"X-Bench-Cold": "1"} if cold else {}
        for _ in range(warmup):
            self.get(path, headers)
        latencies, trips, datastore = [], [], []
        started = time.perf_counter()
        while len(latencies) < count and (len(latencies) < 5 or time.perf_counter() - started < seconds):
            begin = time.perf_counter()
            status, body, response_headers = self.get(path, headers)
            latencies.append(time.perf_counter() - begin)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
            if (value := response_headers.get(COUNT_HEADER)) is not None:
                trips.append(int(value))
            if (value := response_headers.get(SECONDS_HEADER)) is not None:
                datastore.append(float(value))
        return Sample(size, page, mode, latencies, time.perf_counter() - started, trips, datastore)

    def close(self) -> None:
        self.connection.close()


# ------------------------------------------------------------------------------
# Processes: gunicorn and nginx
#


def start_gunicorn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    return emulators.start_gunicorn(port, "tools.bench_app:app", env, log, 300)


def nginx_config(root: Path, port: int, run_as_root: bool) -> str:
    """A minimal foreground nginx configuration serving ``root`` on ``port`` (all files under ``root``)."""
    return f"""
{"user root;" if run_as_root else ""}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    types {{ text/html html; }}
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
    }}
}}
"""


def start_nginx(folder: Path, pages: dict[str, bytes]) -> tuple[subprocess.Popen, int]:
    """nginx (own process, ``daemon off``) serving ``pages`` (file name → bytes) from ``folder``."""
    binary = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not binary:
        raise emulators.MissingDependency(
            "nginx is not installed: install the Debian package nginx (apt-get install nginx)."
        )
    (folder / "www").mkdir(parents=True, exist_ok=True)
    (folder / "tmp").mkdir(exist_ok=True)
    for name, body in pages.items():
        (folder / "www" / name).write_bytes(body)
    port = emulators.free_port()
    config = folder / "nginx.conf"
    config.write_text(nginx_config(folder, port, os.geteuid() == 0))
    with open(folder / "stderr.log", "ab") as output:
        process = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(folder), "-e", str(folder / "error.log")],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    emulators.wait_for_http(f"http://127.0.0.1:{port}/{next(iter(pages))}", timeout=15, process=process)
    return process, port


# ------------------------------------------------------------------------------
# One size
#


def run_subcommand(env: dict[str, str], arguments: list[str], log: Path, what: str) -> dict:
    """Run ``python -m tools.bench <arguments>`` in the app's environment; its last output line is JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "tools.bench", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    log.write_text(result.stdout + result.stderr)
    if result.returncode:
        sys.stderr.write(result.stderr[-3000:])
        raise RuntimeError(f"{what} failed (code {result.returncode}); see {log}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def generate(env: dict[str, str], size: str, log: Path) -> dict:
    """Write the workload ``size`` into the emulator (in a subprocess in the app's environment)."""
    return run_subcommand(env, ["--generate", size], log, f"generating workload {size}")


def published_measure_key(client: Client) -> str:
    """A published measure's key from the public JSON API."""
    status, body, _ = client.get("/json/measure/list?limit=5")
    if status != 200:
        raise RuntimeError(f"/json/measure/list answered {status}")
    data = json.loads(body)
    items = data.get("skellist") if isinstance(data, dict) else data
    if not items:
        raise RuntimeError("/json/measure/list has no published measure")
    key = items[0]["key"]
    return key if isinstance(key, str) else key.get("key") or str(key)


def first_answer(port: int, process: subprocess.Popen, path: str = "/", any_status: bool = False, timeout=120) -> float:
    """Poll ``path`` until it answers 200 (or anything, with ``any_status``); returns when (``time.monotonic()``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before its first page")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status == 200 or any_status:
                return time.monotonic()
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.01)
    raise RuntimeError(f"{path} did not answer within {timeout:.0f} s")


def catalogue_memory(env: dict[str, str], log: Path) -> dict:
    """The catalogue's memory and load time, measured in a process of its own (see :func:`catalogue_memory_here`)."""
    return run_subcommand(env, ["--catalogue-memory"], log, "measuring the catalogue")


def bench_size(
    size: str,
    args,
    stack: contextlib.ExitStack,
    temp: Path,
    info: dict,
    writer_samples: list,
    start_samples: list | None = None,
) -> list[Sample]:
    folder = temp / size
    folder.mkdir()
    say(f"[{size}] starting the Firestore emulator and the storage stub …")
    firestore = emulators.FirestoreEmulator(log_path=folder / "firestore.log").start()
    stack.callback(firestore.stop)
    storage = emulators.StorageStub(PROJECT_ID).start()
    stack.callback(storage.stop)
    credentials = emulators.write_fake_credentials(folder / "fake-credentials.json")
    env = os.environ | emulators.app_environment(PROJECT_ID, firestore.host, storage.url, credentials)
    env["FAHRPLAN_BENCH"] = "1"

    say(f"[{size}] generating the workload …")
    counts = generate(env, size, folder / "generate.log")
    info[size] = counts
    say(f"[{size}] written in {counts.get('seconds')} s: {counts}")

    say(f"[{size}] the catalogue's memory …")
    memory = catalogue_memory(env, folder / "memory.log")
    port = emulators.free_port()
    started = time.monotonic()
    server = start_gunicorn(port, env, folder / "server.log")
    stack.callback(emulators.terminate_group, server, sig=signal.SIGINT)
    ready = first_answer(port, server, "/json/skey", any_status=True) - started  # viur-core answers
    first_page = first_answer(port, server, "/") - started  # the start page, which needs the catalogue
    say(f"[{size}] process start → app answers {ready:.2f} s, → first public page {first_page:.2f} s; {memory}")
    if start_samples is not None:
        start_samples.append(
            StartSample(
                size, memory["measures"], memory["bytes"], memory["seconds"], round(first_page, 3), round(ready, 3)
            )
        )
    emulators.wait_for_http(f"http://127.0.0.1:{port}/json/skey", timeout=120, process=server)
    client = Client(port)
    stack.callback(client.close)
    key = published_measure_key(client)
    pages = {
        "start page": "/",
        "measure list": "/massnahmen",
        "measure page": f"/massnahme/{key}",
        "imprint (settings only)": "/impressum",
    }
    say(f"[{size}] gunicorn on :{port}; warming up …")
    bodies = {}
    for path in [*pages.values(), "/benchbare"]:
        for _ in range(args.warmup):
            status, body, _ = client.get(path)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        bodies[path] = body

    samples = []
    for page, path in pages.items():
        say(f"[{size}] {page} ({path}) …")
        samples.append(client.run(size, page, "warm", path, args.warm, args.seconds, warmup=args.warmup))
        samples.append(client.run(size, page, "cold", path, args.cold, args.seconds, cold=True, warmup=2))
    samples.append(
        client.run(size, "bare ViUR page", "floor", "/benchbare", args.warm, args.seconds, warmup=args.warmup)
    )
    client.close()
    if args.writers:
        say(f"[{size}] {args.writers} concurrent writers for {args.writer_seconds:g} s …")
        writer_samples.append(bench_writers(size, port, env, folder, args.writers, args.writer_seconds))

    nginx, nginx_port = start_nginx(folder / "nginx", {"start.html": bodies["/"], "bare.html": bodies["/benchbare"]})
    stack.callback(emulators.terminate_group, nginx, sig=signal.SIGQUIT)
    static = Client(nginx_port)
    stack.callback(static.close)
    samples.append(
        static.run(
            size, "nginx (start page bytes)", "floor", "/start.html", args.warm, args.seconds, warmup=args.warmup
        )
    )
    static.close()
    return samples


@dataclasses.dataclass
class WriterSample:
    """N editors saving different measures at once for a while (through the admin's edit API)."""

    size: str
    writers: int
    saves: int
    errors: dict[str, int]
    latencies: list[float]
    seconds: float

    @property
    def per_second(self) -> float:
        return self.saves / self.seconds if self.seconds else 0.0


def root_session(port: int, env: dict[str, str], folder: Path):
    """A logged-in root session (the login the run command creates)."""
    import requests

    password_file = folder / "root-password"
    result = subprocess.run(
        [sys.executable, "-m", "tools.manage", "ensure-root", "--password-file", str(password_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    _, name, password = next(line for line in result.stdout.splitlines() if line.startswith("root-login\t")).split("\t")
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    skey = session.get(f"{base}/json/skey", timeout=60).json()
    answer = session.post(
        f"{base}/vi/user/auth_userpassword/login", data={"name": name, "password": password, "skey": skey}, timeout=60
    ).json()
    if answer.get("action") != "login_success":
        raise RuntimeError(f"bench login failed: {answer}")
    return session, base


def bench_writers(size: str, port: int, env: dict[str, str], folder: Path, writers: int, seconds: float):
    """``writers`` threads, each saving its own measure in a loop (load the form, save one field) for ``seconds``."""
    import concurrent.futures

    session, base = root_session(port, env, folder)
    listing = session.get(f"{base}/vi/measure/list", params={"limit": writers}, timeout=60).json()
    keys = [item["key"] for item in listing["skellist"]][:writers]
    if len(keys) < writers:
        raise RuntimeError(f"only {len(keys)} measures to write")

    def writer(key: str) -> tuple[int, dict[str, int], list[float]]:
        import requests

        own = requests.Session()
        own.cookies.update(session.cookies)
        saves, errors, latencies = 0, {}, []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            begin = time.perf_counter()
            try:
                loaded = own.post(f"{base}/vi/measure/edit/{key}", timeout=120)
                if loaded.status_code != 200:
                    outcome = f"form HTTP {loaded.status_code}"
                else:
                    form = loaded.json()["values"]
                    skey = own.get(f"{base}/vi/skey", timeout=60).json()
                    answer = own.post(
                        f"{base}/vi/measure/edit/{key}",
                        data={"summary": f"Bench {saves}", "version": form.get("version"), "skey": skey},
                        timeout=120,
                    )
                    status = answer.status_code
                    outcome = answer.json().get("action") if status == 200 else f"save HTTP {status}"
            except (OSError, ValueError, KeyError) as exc:
                outcome = type(exc).__name__
            latencies.append(time.perf_counter() - begin)
            if outcome == "editSuccess":
                saves += 1
            else:
                errors[str(outcome)] = errors.get(str(outcome), 0) + 1
        return saves, errors, latencies

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(writer, keys))
    elapsed = time.perf_counter() - started
    errors: dict[str, int] = {}
    for _, found, _ in results:
        for name, count in found.items():
            errors[name] = errors.get(name, 0) + count
    return WriterSample(
        size,
        writers,
        sum(saves for saves, _, _ in results),
        errors,
        [latency for _, _, latencies in results for latency in latencies],
        elapsed,
    )


def writers_table(samples: t.Sequence[WriterSample]) -> str:
    rows = [
        (
            sample.size,
            sample.writers,
            sample.saves,
            f"{sample.per_second:.1f}",
            f"{percentile(sample.latencies, 50) * 1000:.0f}" if sample.latencies else "–",
            f"{percentile(sample.latencies, 95) * 1000:.0f}" if sample.latencies else "–",
            ", ".join(f"{name}: {count}" for name, count in sorted(sample.errors.items())) or "0",
        )
        for sample in samples
    ]
    return markdown_table(
        ("size", "writers", "saves", "saves/s", "median ms", "p95 ms", "failed saves"), rows, right={1, 2, 3, 4, 5}
    )


# ------------------------------------------------------------------------------
# The report
#


def machine_notes() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            "",
        )
    try:
        from importlib.metadata import version

        viur = version("viur-core")
    except Exception:
        viur = "?"
    return (
        f"{os.cpu_count()} cores{f' ({cpu})' if cpu else ''}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, viur-core {viur}"
    )


def report(
    samples: list[Sample],
    info: dict,
    args,
    writer_samples: t.Sequence[WriterSample] = (),
    start_samples: t.Sequence[StartSample] = (),
) -> str:
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    workload = "; ".join(
        f"{size}: {counts.get('measure', '?')} measures, {counts.get('milestone', '?')} milestones, "
        f"{counts.get('kpi', '?')} KPIs, {counts.get('kpi_reading', '?')} readings "
        f"(written in {counts.get('seconds')} s)"
        for size, counts in info.items()
    )
    lines = [
        f"Benchmark of {when} on {machine_notes()}.",
        "",
        f"Workloads: {workload}.",
        "",
        "gunicorn `-w 1 --threads 4` against the Firestore emulator (Datastore mode), sequential client on one "
        f"keep-alive connection; up to {args.warm} warm / {args.cold} cold requests per row (at most "
        f"{args.seconds:g} s each) after {args.warmup} warm-up requests. *warm* = served from the portal's page "
        "cache; *cold* = page cache cleared before every request (the reference data of programmes, goals and "
        "departments and the catalogue of published measures stay loaded, as in a running instance; the catalogue "
        "syncs every 15 s within the run). DS calls = datastore round trips per "
        "request and DS ms = the median time the server spent in them, both measured in the server.",
        "",
        results_table(samples),
        "",
        targets_table([*targets(samples), *start_target(start_samples)]),
        "",
    ]
    if start_samples:
        lines += [
            "Instance start: *catalogue MB* = memory the loaded catalogue of published measures retains (tracemalloc, "
            "in a process of its own); *catalogue load* = one complete load there (snapshot + changes since); "
            "*process start → app answers* = from starting gunicorn to viur-core's first answer (`/json/skey`: "
            "importing viur-core and the app, the floor); *→ first page* = to the first 200 of the start page, "
            "which needs the catalogue (loaded in the background from the moment the app is set up).",
            "",
            start_table(start_samples),
            "",
        ]
    if writer_samples:
        lines += [
            f"Concurrent writers: each of {writer_samples[0].writers} threads loads its own measure's edit form and "
            "saves one field with the version it read, in a loop (a save = form + skey + edit). Saves of different "
            "measures share no entity, so none should fail; the roll-up sums are updated by folds afterwards.",
            "",
            writers_table(writer_samples),
            "",
        ]
    return "\n".join(lines)


def run(args) -> int:
    sizes = [size.strip() for size in args.sizes.split(",") if size.strip()]
    try:
        emulators.find_firestore_emulator()
    except emulators.MissingDependency as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    samples: list[Sample] = []
    writer_samples: list[WriterSample] = []
    start_samples: list[StartSample] = []
    info: dict = {}
    temp = Path(tempfile.mkdtemp(prefix="fahrplan-bench-"))

    def write(partial: str = "") -> str:
        text = report(samples, info, args, writer_samples, start_samples)
        if partial:
            text = f"**Partial:** {partial}\n\n{text}"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        return text

    try:
        for index, size in enumerate(sizes):
            with contextlib.ExitStack() as stack:
                samples += bench_size(size, args, stack, temp, info, writer_samples, start_samples)
                say(f"[{size}] stopping its processes …")
            if index < len(sizes) - 1:
                write(f"measured {', '.join(sizes[: index + 1])} of {', '.join(sizes)} so far.")
    except KeyboardInterrupt:
        say("interrupted; everything it started is stopped")
        if samples:
            write("interrupted.")
        return 130
    except (RuntimeError, emulators.MissingDependency) as exc:
        print(f"bench: {exc} (logs in {temp})", file=sys.stderr)
        if samples:
            say(f"the sizes measured before are in {write(f'stopped by an error: {exc}') and args.out}")
        return 1
    text = write()
    print()
    print(text)
    say(f"written to {args.out}")
    shutil.rmtree(temp, ignore_errors=True)
    return 0


def generate_here(size: str) -> int:
    """``--generate``: inside the app's environment, write the workload and print its counts as JSON."""
    from tools.manage import boot

    boot()
    from fahrplan.testing import workloads

    counts = workloads.generate(size) if size in workloads.SIZES else workloads.generate(measures=int(size))
    print(json.dumps(counts), flush=True)
    return 0


def catalogue_memory_here() -> int:
    """
    ``--catalogue-memory``: inside the app's environment, load the catalogue and print as JSON how many measures it
    holds, the bytes it retains (memory allocated by a load that is still alive after it, traced with tracemalloc)
    and how long one load takes.
    """
    import gc
    import tracemalloc

    from tools.manage import boot

    boot()
    from fahrplan.services import catalogue

    catalogue.catalogue()  # the app's background load: wait for it, then drop it, so that the traced load is alone
    catalogue.forget()
    gc.collect()
    tracemalloc.start(1)
    loaded = catalogue.catalogue()
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    begin = time.perf_counter()
    catalogue.load_entries()  # untraced: tracing slows allocations down
    seconds = time.perf_counter() - begin
    print(json.dumps({"measures": len(loaded.entries), "bytes": retained, "seconds": round(seconds, 3)}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.strip().splitlines()[0])
    parser.add_argument(
        "--sizes", default="S,L", help="workload sizes (S, L or a number of measures), comma-separated (default: S,L)"
    )
    parser.add_argument("--warm", type=int, default=500, help="requests per warm row (default: 500)")
    parser.add_argument("--cold", type=int, default=100, help="requests per cold row (default: 100)")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per row (default: 20)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per page (default: 20)")
    parser.add_argument("--writers", type=int, default=10, help="concurrent writers (default: 10; 0: none)")
    parser.add_argument("--writer-seconds", type=float, default=15.0, help="how long they write (default: 15)")
    parser.add_argument("--out", type=Path, default=ARTIFACT, help="the Markdown report (default: .artifacts/bench.md)")
    parser.add_argument("--generate", metavar="SIZE", help=argparse.SUPPRESS)
    parser.add_argument("--catalogue-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        return generate_here(args.generate)
    if args.catalogue_memory:
        return catalogue_memory_here()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
