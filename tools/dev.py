"""
The run command (``make run``): the whole local stack in one process tree.

1. stops what a crashed earlier run left running (:mod:`tools.processes`),
2. starts the Firestore emulator (Datastore mode) and loads the saved data: the snapshot plus the write
   journal of the last run (:mod:`tools.snapshot`, :mod:`tools.journal`),
3. starts the Cloud Storage stub (files kept in ``.devdata/storage``),
4. builds the front-end (``sources/`` → ``deploy/static``),
5. creates the local root login and loads the demo data (both idempotent),
6. serves the app at http://localhost:8080 with gunicorn, static files as ``app.yaml`` says.

Every write of the app and of ``tools.manage`` is journaled as it happens, so a stop saves nothing and a
crash loses nothing that was acknowledged. A watchdog stops the emulator and gunicorn when the run command
dies, however it dies.
"""

import argparse
import concurrent.futures
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

from google.cloud import datastore

from tools import emulators, journal, processes, snapshot
from tools.build_static import build
from tools.watchdog import Watchdog

ROOT = emulators.ROOT
DATA = Path(os.environ.get("FAHRPLAN_DATA_DIR") or ROOT / ".devdata")
ADMIN_LINK = ROOT / "deploy" / "admin"
"""Where the local server (and app.yaml) serve the vi-admin from, at ``/vi/s/``."""


def link_admin(build: Path, link: Path = ADMIN_LINK) -> bool:
    """
    Serve the vi-admin build in ``build`` (a folder with ``main.html``) by linking ``link`` to it. Returns whether
    a link was made (the caller removes it at the end); an installed admin (a real folder) is left as it is.
    """
    build = build.expanduser().resolve()
    if not (build / "main.html").is_file():
        raise RuntimeError(f"{build} holds no vi-admin build (main.html is missing); see the README, 'The ViUR admin'")
    if link.is_symlink():
        link.unlink()  # a link an earlier run or test left: point it at the build asked for now
    elif link.exists():
        say(f"{link} is installed; serving it instead of {build}")
        return False
    link.symlink_to(build)
    return True


"""Where the run command keeps its data between runs (datastore snapshot and journal, files, root password,
logs)."""
PROJECT_ID = os.environ.get("FAHRPLAN_PROJECT_ID", "fahrplan-dev")


def say(message: str) -> None:
    print(f"[fahrplan] {message}", flush=True)


def run_manage(env: dict[str, str], *args: str) -> str:
    """Run ``tools.manage`` in the app's environment; returns its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "tools.manage", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.stderr.write(result.stderr[-4000:])
        raise RuntimeError(f"`python -m tools.manage {' '.join(args)}` failed with code {result.returncode}")
    return result.stdout.strip()


class DataFolder:
    """The data folder of the run command and the files in it."""

    def __init__(self, path: Path):
        self.path = path
        self.snapshot = path / "datastore.snapshot"
        self.journal = path / "datastore.journal"
        self.legacy_snapshot = path / "datastore.pickle"
        """The pickled snapshot of versions before the journal; read once, then removed."""
        self.pids = processes.PidFile(path / "processes")
        self._lock: t.IO[str] | None = None

    def lock(self) -> bool:
        """Take the folder for this run (one run per folder); ``False`` when another run command has it."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.path / "run.lock", "a+")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock = handle
        return True

    def read(self) -> dict[snapshot.KeyPath, bytes]:
        """The saved entities: the snapshot (or the legacy pickle) with the journal applied."""
        return snapshot.load(self.snapshot, self.journal, self.legacy_snapshot)

    def load_into(self, client: datastore.Client, entities: dict[snapshot.KeyPath, bytes] | None = None) -> int:
        """
        Restore the saved data into the emulator of ``client`` and compact it; returns the entity count.

        :param entities: what :meth:`read` returned, if it was read already (while the emulator started).
        """
        if entities is None:
            entities = self.read()
        snapshot.restore(client, entities)
        snapshot.reserve_ids(client, entities)
        if self.needs_compaction():
            snapshot.compact(entities, self.snapshot, self.journal)
        self.legacy_snapshot.unlink(missing_ok=True)
        return len(entities)

    def needs_compaction(self) -> bool:
        """Whether the journal holds writes, or the data is not (only) in a snapshot of the current format."""
        journaled = self.journal.is_file() and self.journal.stat().st_size > 0
        return journaled or self.legacy_snapshot.is_file() or not self.snapshot.is_file()

    def sync_journal(self) -> None:
        """fsync the journal (the app's processes do it within a second anyway)."""
        with contextlib.suppress(FileNotFoundError), open(self.journal, "rb") as fh:
            os.fsync(fh.fileno())


def start_server(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """gunicorn serving ``tools.devapp`` on ``port``, in a session of its own."""
    return emulators.start_gunicorn(port, "tools.devapp:app", env, log_path, 120, "--graceful-timeout", "3")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Fahrplan locally.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)))
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    parser.add_argument(
        "--admin",
        type=Path,
        default=os.environ.get("FAHRPLAN_ADMIN_DIR") or None,
        help="serve this vi-admin build at /vi/s/ (default: $FAHRPLAN_ADMIN_DIR)",
    )
    args = parser.parse_args(argv)
    admin_linked = False
    if args.admin is not None:
        try:
            admin_linked = link_admin(Path(args.admin))
        except RuntimeError as exc:
            print(f"fahrplan: {exc}", file=sys.stderr)
            return 2

    try:
        emulators.find_firestore_emulator()
    except emulators.MissingDependency as exc:
        print(f"fahrplan: {exc}", file=sys.stderr)
        return 2
    data = DataFolder(DATA)
    if not data.lock():
        print(f"fahrplan: another `make run` uses {DATA}; stop it first.", file=sys.stderr)
        return 2
    if killed := data.pids.kill_leftovers():
        say(f"stopped {killed} processes a crashed earlier run left running")
    if not emulators.port_is_free(args.port):
        print(
            f"fahrplan: port {args.port} is in use; stop what runs there or use `make run PORT=<port>`.",
            file=sys.stderr,
        )
        return 2

    watchdog = Watchdog().start()
    firestore = emulators.FirestoreEmulator(
        log_path=DATA / "firestore-emulator.log", jvm_options=emulators.BULK_LOAD_JVM_OPTIONS
    )
    storage = emulators.StorageStub(PROJECT_ID, data_dir=DATA / "storage")
    server: subprocess.Popen | None = None
    stopping = False

    def watch(*watched: processes.Process | None) -> None:
        known = [process for process in watched if process is not None]
        watchdog.watch(known)
        data.pids.add(known)

    def on_signal(signum, frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # SIGINT also when started with it ignored
        signal.signal(signum, on_signal)
    try:
        say("starting the Firestore emulator (Datastore mode) …")
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="read-data") as reader:
            saved = reader.submit(data.read)  # parsing the files overlaps the emulator's start
            firestore.start()
            watch(*processes.group_members(firestore.process.pid))
            entities = saved.result()
        os.environ["DATASTORE_EMULATOR_HOST"] = firestore.host
        restored = data.load_into(datastore.Client(project=PROJECT_ID), entities)
        say(
            f"database ready on {firestore.host}; {restored} saved entities loaded from {data.snapshot.name} "
            f"and {data.journal.name} (emulator start included: {time.monotonic() - started:.1f} s)"
        )
        storage.start()
        credentials = emulators.write_fake_credentials(DATA / "fake-credentials.json")
        env = os.environ | emulators.app_environment(PROJECT_ID, firestore.host, storage.url, credentials)
        env[journal.ENVIRONMENT_VARIABLE] = str(data.journal)

        say("building the front-end (sources/ → deploy/static) …")
        build()

        login = run_manage(env, "ensure-root", "--password-file", str(DATA / "root-password"))
        if not args.no_demo:
            say(run_manage(env, "seed"))

        server = start_server(args.port, env, DATA / "server.log")
        watch(processes.identify(server.pid, group=True))
        emulators.wait_for_http(f"http://127.0.0.1:{args.port}/json/skey", timeout=90, process=server)
        _, name, password = next(line for line in login.splitlines() if line.startswith("root-login\t")).split("\t")
        say("")
        say(f"Fahrplan runs at http://localhost:{args.port}/")
        say(f"  JSON API:  http://localhost:{args.port}/json/   admin API: http://localhost:{args.port}/vi/config")
        if (ADMIN_LINK / "main.html").is_file():
            say(f"  admin:     http://localhost:{args.port}/vi/s/main.html")
        say(f"  admin login: {name}  password: {password}")
        say(f"  server log: {DATA / 'server.log'}    stop with Ctrl-C (every write is already saved)")
        while server.poll() is None:
            time.sleep(0.5)
        say(f"the server stopped with code {server.returncode}; see {DATA / 'server.log'}")
        return 1
    except KeyboardInterrupt:
        say("stopping …")
        return 0
    except (RuntimeError, emulators.MissingDependency) as exc:
        print(f"fahrplan: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if server is not None:
            emulators.terminate_group(server, grace=4, sig=signal.SIGINT)
        data.sync_journal()
        firestore.stop(sig=signal.SIGKILL)
        storage.stop()
        watchdog.stop()
        data.pids.clear()
        if admin_linked and ADMIN_LINK.is_symlink():
            ADMIN_LINK.unlink()


if __name__ == "__main__":
    sys.exit(main())
