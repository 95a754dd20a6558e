"""Which mode the settings choose: one workspace (SLACK_BOT_TOKEN) or many (Add to Slack)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.conftest import run_cli

BOT = "xoxb-test-bot-token-never-logged"
CLIENT_ID = "1234.5678"
CLIENT_SECRET = "test-client-secret-never-logged"


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SLACK_SIGNING_SECRET": "secret",
        "PROGRESSION_DB": str(tmp_path / "progression.db"),
        **settings,
    }


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            {"SLACK_CLIENT_ID": CLIENT_ID},
            "SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not: set both for "
            "multi-workspace mode",
        ),
        (
            {"SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_BOT_TOKEN": BOT},
            "SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not: set both for "
            "multi-workspace mode",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_BOT_TOKEN": BOT,
            },
            "SLACK_BOT_TOKEN is set beside SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: unset "
            "SLACK_BOT_TOKEN for multi-workspace mode",
        ),
    ],
    ids=["id-alone", "secret-alone", "both-beside-the-token"],
)
def test_mixing_the_two_modes_is_one_line_naming_the_settings(
    tmp_path: Path, settings: dict[str, str], says: str
) -> None:
    result = run_cli("serve", "--http", env=_env(tmp_path, **settings), cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"progression-bot: {says}")
    assert result.returncode == 2
    assert CLIENT_SECRET not in result.stderr and BOT not in result.stderr
    assert not (tmp_path / "progression.db").exists()


@pytest.mark.parametrize(
    ("app_token", "says"),
    [
        (
            None,
            "SLACK_APP_TOKEN is not set: multi-workspace mode in Socket Mode needs it (or run "
            "`progression-bot serve --http`); see docs/deploying.md",
        ),
        (BOT, "SLACK_APP_TOKEN must be an app-level token (xapp-...)"),
    ],
    ids=["no-app-token", "a-bot-token"],
)
def test_multi_workspace_mode_in_socket_mode_needs_an_app_token(
    tmp_path: Path, app_token: str | None, says: str
) -> None:
    env = _env(tmp_path, SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET)
    if app_token is not None:
        env["SLACK_APP_TOKEN"] = app_token
    result = run_cli("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"progression-bot: {says}"), line
    assert BOT not in result.stderr and CLIENT_SECRET not in result.stderr


@pytest.mark.parametrize(
    ("settings", "multi"),
    [
        ({"SLACK_BOT_TOKEN": BOT}, False),
        ({"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}, True),
        ({"SLACK_CLIENT_ID": " ", "SLACK_CLIENT_SECRET": " ", "SLACK_BOT_TOKEN": BOT}, False),
    ],
)
def test_the_mode_follows_the_settings(
    settings: dict[str, str], multi: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings(**settings).multi_workspace is multi
