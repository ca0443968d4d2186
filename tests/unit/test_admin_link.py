"""`make run ADMIN=<build>` serves a vi-admin build at /vi/s/ by linking deploy/admin to it (tools/dev.py)."""

import pytest

from tools import dev


def build(tmp_path):
    folder = tmp_path / "vi-admin"
    folder.mkdir()
    (folder / "main.html").write_text("<html></html>")
    return folder


def test_a_build_is_linked_and_an_old_link_replaced(tmp_path):
    """The link points at the build asked for, also when an earlier run left a link to another one."""
    link, other = tmp_path / "admin", tmp_path / "other"
    other.mkdir()
    link.symlink_to(other)
    assert dev.link_admin(build(tmp_path), link) is True
    assert (link / "main.html").is_file() and link.resolve() == (tmp_path / "vi-admin").resolve()


def test_an_installed_admin_is_kept(tmp_path):
    """A real deploy/admin folder (viur-cli's install) is served as it is and never replaced."""
    link = tmp_path / "admin"
    link.mkdir()
    (link / "main.html").write_text("installed")
    assert dev.link_admin(build(tmp_path), link) is False
    assert (link / "main.html").read_text() == "installed" and not link.is_symlink()


def test_a_folder_without_a_build_is_a_clear_error(tmp_path):
    """A wrong path says what is missing and links nothing."""
    link = tmp_path / "admin"
    with pytest.raises(RuntimeError, match="main.html"):
        dev.link_admin(tmp_path, link)
    assert not link.exists()
