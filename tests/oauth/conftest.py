"""Fixtures for Add to Slack: the scheduler tests' store of the test's own (SQLite and
PostgreSQL) and bundled progression, and Chromium as the local workspace's browser tests use it."""

from tests.scheduler.conftest import progression, store
from tests.workspace.conftest import browser

__all__ = ["browser", "progression", "store"]
