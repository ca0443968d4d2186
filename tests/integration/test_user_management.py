"""User management below root never touches root: the CIIO office manages users, root manages root."""

import pytest

from tests.support import roadmap as rm


def user_key(name: str):
    from viur.core import db

    entity = next(iter(db.Query("user").filter("name.idx =", name.lower()).run(1)), None)
    assert entity is not None, name
    return entity.key


@pytest.mark.parametrize("render", ["vi", "json"])
def test_ciio_cannot_delete_or_edit_a_root_user(world, render):
    """A CIIO user's delete or edit of a root user is refused and the stored user is unchanged."""
    target = user_key(rm.add_user("root"))
    before = rm.stored(target)
    ciio = world.sessions["ciio"]
    status, _ = ciio.post_json(f"/{render}/user/delete/{rm.urlsafe(target)}", {})
    assert status in (401, 403), status
    status, _ = ciio.post_json(f"/{render}/user/edit/{rm.urlsafe(target)}", {"firstname": "Übernommen"})
    assert status in (401, 403), status
    assert rm.stored(target) == before


def test_ciio_manages_users_below_root_and_root_manages_root(world):
    """The CIIO office deletes an editor; only root deletes a root user."""
    editor = user_key(rm.add_user("editor"))
    status, body = world.sessions["ciio"].post_json(f"/vi/user/delete/{rm.urlsafe(editor)}", {})
    assert status == 200, (status, str(body)[:300])
    assert rm.stored(editor) is None
    other_root = user_key(rm.add_user("root"))
    status, body = world.sessions["root"].post_json(f"/vi/user/delete/{rm.urlsafe(other_root)}", {})
    assert status == 200, (status, str(body)[:300])
    assert rm.stored(other_root) is None


def test_ciio_cannot_grant_root(world):
    """Granting the root role (add or edit) stays root's."""
    editor = user_key(rm.add_user("editor"))
    status, _ = world.sessions["ciio"].post_json(f"/vi/user/edit/{rm.urlsafe(editor)}", {"roles": "root"})
    assert status in (401, 403), status
    assert "root" not in (rm.stored(editor)["roles"] or [])
