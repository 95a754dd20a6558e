"""Fixtures of the app's own tests: `progression-bot serve` in Socket Mode, as Slack reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SocketModeApp, socket_mode_app
from tests.slack.web_api import SlackWebAPI


@pytest.fixture
def socket_app(api: SlackWebAPI, tmp_path: Path) -> Iterator[SocketModeApp]:
    """The app in Socket Mode, connected to a local Socket Mode server; stopped after."""
    with socket_mode_app(api, tmp_path) as app:
        yield app
