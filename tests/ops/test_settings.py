"""The operating settings (issue 19): what they accept, and a wrong one as one line that names
it (in-process through `load_settings`, and once as an operator meets it, from the CLI)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, run_cli

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("value", "networks"),
    [
        ("", []),
        ("10.0.0.0/24", ["10.0.0.0/24"]),
        ("10.0.0.0/24, 192.168.5.7", ["10.0.0.0/24", "192.168.5.7/32"]),
        ("10.0.0.0/8 fd00::/8", ["10.0.0.0/8", "fd00::/8"]),
    ],
)
def test_metrics_allow_takes_cidrs(value: str, networks: list[str]) -> None:
    settings = load_settings(PROGRESSION_METRICS_ALLOW=value)
    assert settings.metrics_networks == tuple(ipaddress.ip_network(n) for n in networks)


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"PROGRESSION_METRICS_ALLOW": "intranet"}, "PROGRESSION_METRICS_ALLOW is wrong at"),
        ({"PROGRESSION_METRICS_ALLOW": "10.0.0.0/33"}, "PROGRESSION_METRICS_ALLOW is wrong at"),
        ({"PROGRESSION_METRICS_ALLOW": "10.0.0.5/24"}, "write 10.0.0.0/24 for the whole"),
        ({"PROGRESSION_METRICS_TOKEN": ""}, "PROGRESSION_METRICS_TOKEN is empty"),
        ({"PROGRESSION_METRICS_TOKEN": "short"}, "PROGRESSION_METRICS_TOKEN is too short"),
        (
            {"PROGRESSION_METRICS_TOKEN": "two words of a long token"},
            "PROGRESSION_METRICS_TOKEN is not a bearer token",
        ),
        ({"PROGRESSION_LOG_FORMAT": "xml"}, "PROGRESSION_LOG_FORMAT is 'xml': give text"),
        ({"PROGRESSION_METRICS": "maybe"}, "PROGRESSION_METRICS is 'maybe': give on or off"),
    ],
    ids=str,
)
def test_a_wrong_operating_setting_is_one_line_naming_it(
    settings: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError) as wrong:
        load_settings(**settings)
    line = str(wrong.value)
    assert says in line and "\n" not in line


def test_a_wrong_token_is_never_repeated() -> None:
    secret = "not a token but a secret all the same"
    with pytest.raises(SettingsError) as wrong:
        load_settings(PROGRESSION_METRICS_TOKEN=secret)
    assert "secret" not in str(wrong.value)


def test_the_defaults_are_loopback_text_logs_and_metrics_on() -> None:
    settings = load_settings()
    assert settings.metrics_networks == ()
    assert settings.progression_metrics_token is None
    assert settings.progression_log_format == "text" and settings.metrics_enabled
    assert load_settings(PROGRESSION_LOG_FORMAT=" JSON ").progression_log_format == "json"
    assert not load_settings(PROGRESSION_METRICS="off").metrics_enabled
    token = load_settings(PROGRESSION_METRICS_TOKEN=TOKEN).progression_metrics_token
    assert token is not None and token.get_secret_value() == TOKEN


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PROGRESSION_METRICS_ALLOW", "10.0.0.0/33"),
        ("PROGRESSION_METRICS_TOKEN", "short"),
        ("PROGRESSION_LOG_FORMAT", "yaml"),
    ],
)
def test_serve_stops_with_one_line_naming_the_setting(
    tmp_path: Path, name: str, value: str
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        name: value,
    }
    result = run_cli("serve", "--http", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"progression-bot: {name} "), result.stderr
    assert "Traceback" not in result.stderr
