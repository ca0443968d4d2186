"""
The run command (``make run``): the whole local stack in one process tree.

1. starts the Firestore emulator (Datastore mode) and loads the saved data of the last run,
2. starts the Cloud Storage stub (files kept in ``.devdata/storage``),
3. builds the front-end (``sources/`` → ``deploy/static``),
4. creates the local root login and loads the demo data (both idempotent),
5. serves the app at http://localhost:8080 with gunicorn, static files as ``app.yaml`` says,
6. saves all data every few seconds and on Ctrl-C, then stops everything it started.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tools import emulators, snapshot
from tools.build_static import build

ROOT = emulators.ROOT
DATA = Path(os.environ.get("FAHRPLAN_DATA_DIR") or ROOT / ".devdata")
"""Where the run command keeps its data between runs (datastore snapshot, files, root password, logs)."""
PROJECT_ID = os.environ.get("FAHRPLAN_PROJECT_ID", "fahrplan-dev")
SNAPSHOT_EVERY = 10.0


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


class Saver(threading.Thread):
    """Saves the emulator's data to the snapshot file every few seconds."""

    def __init__(self, path: Path):
        super().__init__(name="snapshot", daemon=True)
        self.path = path
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SNAPSHOT_EVERY):
            try:
                snapshot.dump(PROJECT_ID, self.path)
            except Exception as exc:  # keep serving; the next round retries
                say(f"could not save data: {exc}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Fahrplan locally.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)))
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    args = parser.parse_args(argv)

    try:
        emulators.find_firestore_emulator()
    except emulators.MissingDependency as exc:
        print(f"fahrplan: {exc}", file=sys.stderr)
        return 2
    if not emulators.port_is_free(args.port):
        print(
            f"fahrplan: port {args.port} is in use; stop what runs there or use `make run PORT=<port>`.",
            file=sys.stderr,
        )
        return 2

    DATA.mkdir(exist_ok=True)
    snapshot_file = DATA / "datastore.pickle"
    firestore = emulators.FirestoreEmulator(log_path=DATA / "firestore-emulator.log")
    storage = emulators.StorageStub(PROJECT_ID, data_dir=DATA / "storage")
    server: subprocess.Popen | None = None
    saver: Saver | None = None
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started with SIGINT ignored (e.g. `make run &`)
    try:
        say("starting the Firestore emulator (Datastore mode) …")
        firestore.start()
        os.environ["DATASTORE_EMULATOR_HOST"] = firestore.host
        restored = snapshot.restore(PROJECT_ID, snapshot_file)
        say(f"database ready on {firestore.host}; {restored} saved entities loaded from {snapshot_file.name}")
        storage.start()
        credentials = emulators.write_fake_credentials(DATA / "fake-credentials.json")
        env = os.environ | emulators.app_environment(PROJECT_ID, firestore.host, storage.url, credentials)

        say("building the front-end (sources/ → deploy/static) …")
        build()

        login = run_manage(env, "ensure-root", "--password-file", str(DATA / "root-password"))
        if not args.no_demo:
            say(run_manage(env, "seed"))
        snapshot.dump(PROJECT_ID, snapshot_file)
        saver = Saver(snapshot_file)
        saver.start()

        log = open(DATA / "server.log", "ab")  # noqa: SIM115
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-b",
                f"127.0.0.1:{args.port}",
                "-w",
                "1",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--chdir",
                str(emulators.DEPLOY),
                "--pythonpath",
                str(ROOT),
                "tools.devapp:app",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        emulators.wait_for_http(f"http://127.0.0.1:{args.port}/json/skey", timeout=90, process=server)
        _, name, password = next(line for line in login.splitlines() if line.startswith("root-login\t")).split("\t")
        say("")
        say(f"Fahrplan runs at http://localhost:{args.port}/")
        say(f"  JSON API:  http://localhost:{args.port}/json/   admin API: http://localhost:{args.port}/vi/config")
        say(f"  admin login: {name}  password: {password}")
        say(f"  server log: {DATA / 'server.log'}    stop with Ctrl-C (data is saved)")
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
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            emulators.terminate_group(server, sig=signal.SIGINT)
        if saver is not None:
            saver.stopped.set()
            saver.join(timeout=30)
        if firestore.process is not None and firestore.process.poll() is None and saver is not None:
            try:
                count = snapshot.dump(PROJECT_ID, snapshot_file)
                say(f"saved {count} entities to {snapshot_file}")
            except Exception as exc:
                say(f"could not save data: {exc}")
        firestore.stop()
        storage.stop()


if __name__ == "__main__":
    sys.exit(main())
