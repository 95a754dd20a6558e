"""Check-offs in Socket Mode: Events API envelopes over the WebSocket, retried envelopes too."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from store import Store
from tests.bot.nudges import Nudge, add_nudge
from tests.bot.test_checkoffs_http import CheckoffApp, export_rows
from tests.conftest import RunningApp, socket_mode_app
from tests.slack.signing import (
    TEAM_ID,
    app_home_opened_event,
    event_callback,
    reaction_event,
    slash_command_body,
)
from tests.slack.socket_mode import SocketModeServer
from tests.slack.web_api import SlackWebAPI


@dataclass
class SocketApp:
    server: SocketModeServer
    process: subprocess.Popen[str]
    setup: CheckoffApp


@pytest.fixture
def socket_checkoffs(api: SlackWebAPI, tmp_path: Path) -> Iterator[SocketApp]:
    with socket_mode_app(api, tmp_path) as app:
        # A RunningApp only so export_rows can reuse the environment and database.
        running = RunningApp(app.process, "", tmp_path / "unused.log")
        setup = CheckoffApp(running, tmp_path / "progression.db", app.env, tmp_path)
        yield SocketApp(app.server, app.process, setup)


def react(
    app: SocketApp, nudge: Nudge, kind: str, user: str, emoji: str, event_id: str, retry: int = 0
) -> None:
    event = reaction_event(kind, user=user, reaction=emoji, channel=nudge.channel, ts=nudge.ts)
    envelope = app.server.send_envelope(
        "events_api",
        event_callback(event, event_id=event_id),
        retry_attempt=retry,
        retry_reason="timeout" if retry else "",
    )
    app.server.wait_for_ack(envelope, timeout=10)


def command(app: SocketApp, text: str, channel: str, user: str = "U1") -> str:
    envelope = app.server.send_envelope(
        "slash_commands", dict(slash_command_body(text, channel_id=channel, user_id=user))
    )
    return str(app.server.wait_for_ack(envelope, timeout=10)["payload"])


def checked(app: SocketApp, nudge: Nudge) -> list[str]:
    store = Store(app.setup.db)
    try:
        return sorted(store.checked_by(TEAM_ID, nudge.channel, nudge.ref))
    finally:
        store.close()


def test_an_envelope_counts_once_even_when_retried(
    socket_checkoffs: SocketApp, api: SlackWebAPI
) -> None:
    nudge = add_nudge(socket_checkoffs.setup.db, ref="3.8")
    react(socket_checkoffs, nudge, "reaction_added", "U1", "white_check_mark", "EvS1")
    react(socket_checkoffs, nudge, "reaction_added", "U1", "white_check_mark", "EvS1", retry=1)
    react(socket_checkoffs, nudge, "reaction_added", "U1", "heavy_check_mark", "EvS2")
    react(socket_checkoffs, nudge, "reaction_added", "U2", "white_check_mark::skin-tone-3", "EvS3")
    react(socket_checkoffs, nudge, "reaction_added", "U3", "thumbsup", "EvS4")
    assert checked(socket_checkoffs, nudge) == ["U1", "U2"]

    react(
        socket_checkoffs, nudge, "reaction_removed", "U2", "white_check_mark::skin-tone-3", "EvS5"
    )
    # Slack sends the add again after the removal: it was already counted, it stays removed.
    react(
        socket_checkoffs,
        nudge,
        "reaction_added",
        "U2",
        "white_check_mark::skin-tone-3",
        "EvS3",
        retry=2,
    )
    # U1 still has another check emoji on it.
    react(socket_checkoffs, nudge, "reaction_removed", "U1", "white_check_mark", "EvS6")
    assert checked(socket_checkoffs, nudge) == ["U1"]

    assert "✅ 1 done" in command(socket_checkoffs, "progress", nudge.channel)
    assert "<@U1>" in command(socket_checkoffs, "3.8", nudge.channel)
    api.add_member(nudge.channel, "U1")
    envelope = socket_checkoffs.server.send_envelope(
        "events_api", event_callback(app_home_opened_event("U1"))
    )
    socket_checkoffs.server.wait_for_ack(envelope, timeout=10)
    home = api.wait_for("views.publish", 1, timeout=10)[-1].params["view"]
    buttons = {
        b["accessory"]["value"]: b["accessory"]["action_id"]
        for b in home["blocks"]
        if "accessory" in b
    }
    # Checked off by a reaction: Home shows it, and that removing the reaction undoes it.
    assert buttons == {}
    assert f"<#{nudge.channel}>" in str(home) and "with a reaction" in str(home)
    assert [(r["user"], r["move"]) for r in export_rows(socket_checkoffs.setup)] == [("U1", "3.8")]
    update = api.wait_for("chat.update", 1, timeout=10)[-1]
    assert update.params["ts"] == nudge.ts
