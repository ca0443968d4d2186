"""
The shared fixture of the integration suites that work on the fixture roadmap.

``world`` resets the database once per test module, builds the roadmap and logs in one user per role;
tests of a module share it, so they must only add their own entities and leave the shared ones usable.
"""

import pytest

from tests.support import roadmap as rm


@pytest.fixture(scope="module")
def world(stack) -> rm.World:
    """The fixture roadmap and one logged-in session per role, shared by the tests of one module."""
    stack.firestore.reset()
    return rm.world(stack.app)
