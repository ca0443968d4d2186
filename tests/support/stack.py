"""
The app under test, in-process, against a real Firestore emulator (Datastore mode).

:func:`start` starts the emulator and the storage stub on free ports, sets the environment viur-core
needs, changes into ``deploy/`` and imports ``main`` once per test process.
"""

import atexit
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tools import emulators

PROJECT_ID = "fahrplan-test"


@dataclass
class Stack:
    firestore: emulators.FirestoreEmulator
    storage: emulators.StorageStub
    env: dict[str, str]
    app: object


_stack: Stack | None = None


def start(tmp_dir: Path) -> Stack:
    """Start (once per process) the emulators and the app; later calls return the same stack."""
    global _stack
    if _stack is not None:
        return _stack
    firestore = emulators.FirestoreEmulator(log_path=tmp_dir / "firestore.log").start()
    atexit.register(firestore.stop)
    storage = emulators.StorageStub(PROJECT_ID).start()
    atexit.register(storage.stop)
    credentials = emulators.write_fake_credentials(tmp_dir / "fake-credentials.json")
    env = emulators.app_environment(PROJECT_ID, firestore.host, storage.url, credentials)
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    os.chdir(emulators.DEPLOY)
    sys.path.insert(0, str(emulators.DEPLOY))
    import main  # deploy/main.py

    from fahrplan.services import warmup

    warmup.wait()  # the app's background warm-up must not load data of a database the tests reset next
    _stack = Stack(firestore=firestore, storage=storage, env=env, app=main.app)
    return _stack


def stop() -> None:
    """
    Stop the emulators (idempotent).

    Called by the session fixture, not only at exit: the storage stub serves from a non-daemon thread, and
    Python joins those before it runs ``atexit`` handlers, so a stub left running keeps pytest from exiting.
    """
    if _stack is not None:
        _stack.storage.stop()
        _stack.firestore.stop()
