"""Helpers shared by the test suites."""

import os

BASE_ENVIRON = dict(os.environ)
"""The test process's environment before any suite started its stack: viur-core replaces ``os.environ`` by a
request-local mapping when the in-process app is set up, and the stack points it at the suite's emulators. Servers
the functional tests start as subprocesses get this (plus what they set), never the in-process app's settings."""
