"""The local stack explains missing prerequisites in one sentence instead of a stack trace."""

from pathlib import Path

import pytest

from tools import dev, emulators


def test_missing_java_is_named(monkeypatch):
    """Without Java the emulator cannot start; the message must say to install a Java runtime."""
    monkeypatch.setattr(emulators.shutil, "which", lambda name: None)
    with pytest.raises(emulators.MissingDependency, match="Java is not installed"):
        emulators.find_firestore_emulator()


def test_missing_emulator_names_the_package(monkeypatch, tmp_path):
    """With Java but no emulator in any SDK folder, the message names the package to install."""
    monkeypatch.setattr(emulators.shutil, "which", lambda name: "/usr/bin/java" if name == "java" else None)
    with pytest.raises(emulators.MissingDependency, match=emulators.EMULATOR_PACKAGE):
        emulators.find_firestore_emulator([tmp_path])


def test_emulator_found_in_an_sdk_folder(monkeypatch, tmp_path):
    """An SDK installed elsewhere (CLOUDSDK_ROOT_DIR) is found by its launcher script."""
    launcher = tmp_path / "platform" / "cloud-firestore-emulator" / "cloud_firestore_emulator"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\n")
    monkeypatch.setattr(emulators.shutil, "which", lambda name: "/usr/bin/java" if name == "java" else None)
    assert emulators.find_firestore_emulator([Path("/nonexistent"), tmp_path]) == launcher


def test_run_command_exits_with_one_sentence(monkeypatch, capsys):
    """`make run` on a machine without Java prints one line naming what to install and exits 2."""
    monkeypatch.setattr(emulators.shutil, "which", lambda name: None)
    assert dev.main(["--port", str(emulators.free_port())]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Java" in err[0] and "Traceback" not in err[0]
