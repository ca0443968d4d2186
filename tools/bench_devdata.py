"""
How long the run command's persistence takes at scale: ``python -m tools.bench_devdata [--measures 880]``.

Writes a synthetic roadmap (880 measures ≈ 51,000 entities, see :mod:`fahrplan.testing.workloads`) through
the journal into one emulator, kills that emulator, and then times what the next ``make run`` does with the
data in a fresh one: read snapshot + journal, restore, reserve ids, write the compacted snapshot. Restarts a
second time from the compacted snapshot alone. Prints one line per step.
"""

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from google.cloud import datastore

from tools import dev, emulators, journal, snapshot

PROJECT_ID = "fahrplan-dev"


def timed(label: str, started: float) -> float:
    seconds = time.monotonic() - started
    print(f"{label:<42} {seconds:7.1f} s", flush=True)
    return seconds


def write_workload(data: dev.DataFolder, measures: int, scratch: Path) -> None:
    """Write the workload into a first emulator, journaled as under ``make run``, then kill that emulator."""
    firestore = emulators.FirestoreEmulator(log_path=scratch / "firestore.log").start()
    storage = emulators.StorageStub(PROJECT_ID).start()
    credentials = emulators.write_fake_credentials(scratch / "fake-credentials.json")
    environment = emulators.app_environment(PROJECT_ID, firestore.host, storage.url, credentials)
    os.environ.update({name: value for name, value in environment.items() if name != "PYTHONPATH"})
    os.environ[journal.ENVIRONMENT_VARIABLE] = str(data.journal)
    from tools import manage

    manage.boot()  # installs the journal
    from fahrplan.testing import workloads

    started = time.monotonic()
    counts = workloads.generate(measures=measures)
    timed(f"write {measures} measures through the journal", started)
    print("  kinds: " + ", ".join(f"{kind} {count}" for kind, count in counts.items() if kind != "seconds"))
    journal.uninstall()
    print(f"  journal: {data.journal.stat().st_size / 1e6:.0f} MB")
    firestore.stop(sig=signal.SIGKILL)
    storage.stop()


def restart(data: dev.DataFolder, scratch: Path, label: str) -> None:
    """Time a restart: a fresh emulator and each step of :meth:`tools.dev.DataFolder.load_into`."""
    total = time.monotonic()
    started = time.monotonic()
    firestore = emulators.FirestoreEmulator(
        log_path=scratch / "firestore.log", jvm_options=emulators.BULK_LOAD_JVM_OPTIONS
    ).start()
    timed(f"{label}: emulator start", started)
    try:
        os.environ["DATASTORE_EMULATOR_HOST"] = firestore.host
        client = datastore.Client(project=PROJECT_ID)
        started = time.monotonic()
        entities = snapshot.load(data.snapshot, data.journal, data.legacy_snapshot)
        timed(f"{label}: read snapshot + journal ({len(entities)})", started)
        started = time.monotonic()
        snapshot.restore(client, entities)
        timed(f"{label}: restore into the emulator", started)
        started = time.monotonic()
        snapshot.reserve_ids(client, entities)
        timed(f"{label}: reserve ids", started)
        started = time.monotonic()
        snapshot.compact(entities, data.snapshot, data.journal)
        timed(f"{label}: write compacted snapshot", started)
        timed(f"{label}: TOTAL", total)
    finally:
        started = time.monotonic()
        firestore.stop(sig=signal.SIGKILL)
        timed(f"{label}: emulator stop (SIGKILL)", started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--measures", type=int, default=880)
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fahrplan-bench-devdata-") as scratch:
        data = dev.DataFolder((args.data_dir or Path(scratch) / "data").resolve())
        data.path.mkdir(parents=True, exist_ok=True)
        write_workload(data, args.measures, Path(scratch))
        restart(data, Path(scratch), "restart from snapshot + journal")
        restart(data, Path(scratch), "restart from the compacted snapshot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
