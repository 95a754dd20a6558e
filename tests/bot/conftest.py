"""The app in the test's own process (tests/bot/in_process.py), for the listeners' logic; and
`progression-bot serve` in Socket Mode, for the edge."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from progression.load import load_progression
from progression.model import Progression
from tests.bot.in_process import InProcess, app_in_process
from tests.bot.leaders import District, district_app
from tests.conftest import SocketModeApp, socket_mode_app
from tests.slack.web_api import SlackWebAPI


@pytest.fixture(scope="session")
def bundled_progression() -> Progression:
    return load_progression()


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the machine running the tests reaches an app built in their process."""
    for name in os.environ:
        if name.startswith(("SLACK_", "PROGRESSION_")) and name != "PROGRESSION_TEST_POSTGRES":
            monkeypatch.delenv(name)


@pytest.fixture
def in_process(
    api: SlackWebAPI, tmp_path: Path, bundled_progression: Progression, clean_environment: None
) -> Iterator[InProcess]:
    with app_in_process(api, tmp_path / "progression.db", bundled_progression) as app:
        yield app


@pytest.fixture
def socket_app(api: SlackWebAPI, tmp_path: Path) -> Iterator[SocketModeApp]:
    """The app in Socket Mode, connected to a local Socket Mode server; stopped after."""
    with socket_mode_app(api, tmp_path) as app:
        yield app


@pytest.fixture
def district(
    api: SlackWebAPI, database: str, bundled_progression: Progression, clean_environment: None
) -> Iterator[District]:
    """The app in process with a manager (`tests.bot.leaders.MANAGER`), once on SQLite and once
    on PostgreSQL."""
    with district_app(api, database, bundled_progression) as app:
        yield app
