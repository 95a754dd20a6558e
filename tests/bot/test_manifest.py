"""`app_manifest.yml` is valid for Slack and declares exactly what the code registers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.listeners import ACTIONS, COMMANDS, EVENTS
from tests.bot.test_after_ack_failures import log_since
from tests.conftest import RunningApp
from tests.slack.signing import TEAM_ID, SlackSender

ROOT = Path(__file__).resolve().parents[2]
# Slack's published schema (slackapi/manifest-schema, MIT: tests/slack/LICENSE.manifest-schema).
SCHEMA = ROOT / "tests" / "slack" / "manifest.schema.1.0.0.json"
UNHANDLED = "Acked a request no listener takes: an event"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "app_manifest.yml").read_text()))


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    jsonschema.validate(manifest, json.loads(SCHEMA.read_text()))


def test_commands_match(manifest: dict[str, Any]) -> None:
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == set(COMMANDS)


def test_events_match(manifest: dict[str, Any]) -> None:
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(EVENTS)


def test_interactivity_is_on_when_there_are_buttons(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is bool(ACTIONS)


def test_scopes_are_the_fewest(manifest: dict[str, Any]) -> None:
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "reactions:read",
        "users:read",
        "channels:read",
        "groups:read",
        "files:write",  # the digest's chart
    }
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


@pytest.mark.parametrize("event_type", EVENTS)
def test_every_declared_event_is_handled_by_the_running_app(
    slack: SlackSender, http_app: RunningApp, event_type: str
) -> None:
    start = len(http_app.output())
    event: dict[str, Any] = {"type": event_type, "user": "U1", "event_ts": "1700000000.000001"}
    if event_type.startswith("reaction"):
        event |= {
            "reaction": "thumbsup",
            "item": {"type": "message", "channel": "C1", "ts": "1.000001"},
            "item_user": "U0BOT",
        }
    if event_type == "app_home_opened":
        event |= {"tab": "home", "channel": "D1"}
    # The app removed: from a workspace of its own, or every later test's workspace has left.
    team = "TMANIFEST" if event_type in ("app_uninstalled", "tokens_revoked") else TEAM_ID
    assert slack.event(event, team_id=team).status == 200
    assert UNHANDLED not in http_app.output()[start:]


def test_an_undeclared_event_is_not_handled(slack: SlackSender, http_app: RunningApp) -> None:
    # Shows the check above can fail: an event with no listener is acked, and logged so.
    start = len(http_app.output())
    event = {
        "type": "member_joined_channel",
        "user": "U1",
        "channel": "C1",
        "event_ts": "1700000000.000002",
    }
    assert slack.event(event).status == 200
    assert UNHANDLED in log_since(http_app, start, UNHANDLED)
