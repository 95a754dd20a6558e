"""Apps built in the test's own process, against the Web API stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.settings import Settings
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack.web_api import SlackWebAPI

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def settings_for(api: SlackWebAPI, db: Path, **settings: str) -> Settings:
    """The settings of an app against the stand-in; `settings` by their environment names
    (`PROGRESSION_MANAGERS="U1"`)."""
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.url,
        "PROGRESSION_DB": str(db),
        **settings,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
