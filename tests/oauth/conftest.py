"""Fixtures for Add to Slack: Chromium (as the local workspace's browser tests use it)."""

from tests.workspace.conftest import browser

__all__ = ["browser"]
