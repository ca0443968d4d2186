"""
Local stand-ins for Google Cloud: the Firestore emulator in Datastore mode and a Cloud Storage stub.

Shared by the run command (:mod:`tools.dev`) and the test suite (``tests/conftest.py``), so both start
the app against the same kind of database it meets in production.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository root."""

DEPLOY = ROOT / "deploy"
"""The App Engine app's folder: viur-core must run with this as its working directory."""

EMULATOR_PACKAGE = "google-cloud-cli-firestore-emulator"
"""The Debian/APT package of the Google Cloud SDK that ships the Firestore emulator."""


class MissingDependency(RuntimeError):
    """A program the local stack needs is not installed; the message names what to install."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def find_firestore_emulator(sdk_roots: t.Sequence[Path] | None = None) -> Path:
    """
    The launcher script of the Firestore emulator from the installed Google Cloud SDK.

    It is started directly rather than through ``gcloud emulators firestore start``: gcloud's wrapper
    leaves the emulator's JVM running when it is interrupted.

    :param sdk_roots: where to look for the Google Cloud SDK (default: ``CLOUDSDK_ROOT_DIR``, next to
        ``gcloud``, and the usual install locations).
    :raises MissingDependency: when Java or the emulator is not installed.
    """
    if not shutil.which("java"):
        raise MissingDependency(
            "Java is not installed: install a Java runtime (11 or newer, e.g. Debian's openjdk-17-jre-headless)."
        )
    if sdk_roots is None:
        sdk_roots = []
        if sdk := os.environ.get("CLOUDSDK_ROOT_DIR"):
            sdk_roots.append(Path(sdk))
        if gcloud := shutil.which("gcloud"):
            sdk_roots.append(Path(os.path.realpath(gcloud)).parent.parent)
        sdk_roots += [
            Path("/usr/lib/google-cloud-sdk"),
            Path("/usr/share/google-cloud-sdk"),
            Path.home() / "google-cloud-sdk",
        ]
    for sdk_root in sdk_roots:
        launcher = sdk_root / "platform" / "cloud-firestore-emulator" / "cloud_firestore_emulator"
        if launcher.is_file():
            return launcher
    raise MissingDependency(
        f"The Firestore emulator is not installed: install the Google Cloud SDK with its Firestore emulator "
        f"(APT package {EMULATOR_PACKAGE}, or `gcloud components install cloud-firestore-emulator`)."
    )


BULK_LOAD_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""JVM options for an emulator that is loaded with many entities right after its start: with the client
compiler only and the serial collector the JVM spends about half the CPU time on loading 50,000 entities
(26 s instead of 46 s, measured with SDK 528 on two cores), as the optimising compiler's work never pays off
in a process that lives for one development session."""


class FirestoreEmulator:
    """
    The Firestore emulator in Datastore mode, in a process group of its own.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, port: int | None = None, log_path: Path | None = None, jvm_options: str = ""):
        """
        :param jvm_options: extra options for the emulator's JVM (``JAVA_TOOL_OPTIONS``), e.g.
            :data:`BULK_LOAD_JVM_OPTIONS`.
        """
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log_path = log_path
        self.jvm_options = jvm_options
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> t.Self:
        launcher = find_firestore_emulator()
        if not port_is_free(self.port):
            raise RuntimeError(f"Port {self.port} is in use: stop what runs there or choose another port.")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(launcher), "start", "--host=127.0.0.1", f"--port={self.port}", "--database-mode=datastore-mode"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "JAVA_TOOL_OPTIONS": self.jvm_options} if self.jvm_options else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Firestore emulator exited with code {self.process.returncode}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://{self.host}/", timeout=1) as response:
                    if response.status == 200:
                        return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"The Firestore emulator did not answer on {self.host} within {timeout:.0f} s")

    def reset(self) -> None:
        """Wipe all data (takes a few milliseconds)."""
        request = urllib.request.Request(f"http://{self.host}/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """
        Stop the emulator's whole process group (launcher script and JVM).

        :param sig: the signal to send first (SIGKILL follows after a grace period); the run command sends
            SIGKILL right away, as the emulator has nothing to save.
        """
        if self.process is None:
            return
        terminate_group(self.process, sig=sig)
        self.process = None

    def __enter__(self) -> t.Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def terminate_group(process: subprocess.Popen, grace: float = 5.0, sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to the process group of ``process``, then SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(grace)


class StorageStub:
    """An in-process Cloud Storage stub (``gcp-storage-emulator``) serving the app's default bucket."""

    def __init__(self, project_id: str, port: int | None = None, data_dir: Path | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.project_id = project_id
        self.data_dir = data_dir
        self.server = None

    def start(self) -> t.Self:
        from gcp_storage_emulator.server import create_server

        kwargs: dict[str, t.Any] = {"default_bucket": f"{self.project_id}.appspot.com"}
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            kwargs["data_dir"] = str(self.data_dir)
        else:
            kwargs["in_memory"] = True
        self.server = create_server("127.0.0.1", self.port, **kwargs)
        threading.Thread(target=self.server.start, name="storage-stub", daemon=True).start()
        deadline = time.monotonic() + 10
        while port_is_free(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.stop()
            self.server = None


def write_fake_credentials(path: Path) -> Path:
    """
    A fake authorized-user credentials file with a token valid until 2099.

    viur-core calls ``google.auth.default()`` at import; without a token every storage call would try
    to refresh one for minutes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "fahrplan-local",
                "client_secret": "fahrplan-local",
                "refresh_token": "fahrplan-local",
                "token": "fahrplan-local-token",
                "expiry": "2099-01-01T00:00:00Z",
            }
        )
    )
    return path


def app_environment(project_id: str, datastore_host: str, storage_url: str, credentials: Path) -> dict[str, str]:
    """The environment variables viur-core needs to run locally against the emulators."""
    return {
        "GAE_ENV": "localdev",
        "GOOGLE_CLOUD_PROJECT": project_id,
        "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
        "DATASTORE_EMULATOR_HOST": datastore_host,
        "STORAGE_EMULATOR_HOST": storage_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    }


def start_gunicorn(
    port: int, app: str, env: dict[str, str], log_path: Path, timeout: int = 120, *options: str
) -> subprocess.Popen:
    """
    gunicorn serving the WSGI ``app`` (e.g. ``tools.devapp:app``) from ``deploy/`` on 127.0.0.1:``port`` like
    App Engine (``-w 1 --threads 4``), in a session of its own, its output appended to ``log_path``.
    """
    command = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"]
    command += ["--timeout", str(timeout), *options, "--chdir", str(DEPLOY), "--pythonpath", str(ROOT), app]
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )


def wait_for_http(url: str, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers (any HTTP status), or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"The server exited with code {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
