"""When Slack says no after the ack: still a 2xx (or a Socket Mode ack), one log line with the
traceback, and a sentence to the person who is waiting."""

from __future__ import annotations

import json
import time

import pytest

from store import Store
from tests.bot.nudges import add_nudge, let_in
from tests.conftest import RunningApp, SocketModeApp
from tests.slack.signing import (
    TEAM_ID,
    SlackSender,
    app_home_opened_event,
    event_callback,
    slash_command_body,
)
from tests.slack.web_api import SlackWebAPI

HOME = {"id": "V0001", "type": "home"}


def log_since(app: RunningApp, start: int, needle: str, timeout: float = 10) -> str:
    """The app's log from `start` once it contains `needle` (the pool logs after the ack)."""
    deadline = time.monotonic() + timeout
    while True:
        text = app.output()[start:]
        if needle in text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not logged:\n{text}")
        time.sleep(0.05)  # polling a log file for a line, bounded by the deadline


def test_a_refused_home_tab_is_acked_and_logged_once_with_its_traceback(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp
) -> None:
    start = len(http_app.output())
    api.faults.fail("views.publish", "invalid_blocks")
    assert slack.event(app_home_opened_event("UFAIL1")).status == 200
    logged = log_since(http_app, start, "Publishing the Home tab failed")
    assert logged.count("Publishing the Home tab failed") == 1
    assert "Traceback" in logged and "invalid_blocks" in logged


def test_mark_done_is_recorded_and_the_person_told_when_home_cannot_refresh(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp
) -> None:
    nudge = add_nudge(http_app.db, ref="3.2")
    let_in(http_app.db, api, nudge, "UF2")
    api.faults.fail("views.publish", "invalid_blocks")
    answer = slack.action("home_mark_done", f"{nudge.channel}|{nudge.ts}", user_id="UF2", view=HOME)
    assert answer.status == 200
    store = Store(http_app.db)
    try:
        assert "UF2" in store.checked_by(TEAM_ID, nudge.channel, nudge.ref)
    finally:
        store.close()
    [told] = api.wait_for("chat.postMessage", timeout=10)
    assert told.params["channel"] == "UF2" and "check-off is saved" in told.params["text"]
    api.wait_for("chat.update", timeout=10)  # the live count, so it ends within this test


@pytest.mark.parametrize(("status", "reason"), [(404, "expired_url"), (404, "used_url")])
def test_share_to_an_expired_response_url_tells_the_person_and_logs_one_line(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp, status: int, reason: str
) -> None:
    start = len(http_app.output())
    api.faults.answer_response_url("old", status, reason)
    answer = slack.action("share_reply", "3.8", user_id="UF3", response_url=api.response_url("old"))
    assert answer.status == 200
    [told] = api.wait_for("chat.postEphemeral", timeout=10)
    assert told.params["user"] == "UF3" and "could not be shared" in told.params["text"]
    assert "`/progression 3.8 share`" in told.params["text"]
    logged = log_since(http_app, start, "Share refused")
    assert reason in logged and logged.count("Share refused") == 1
    # Nothing shared, so the private reply is not removed either.
    assert len(api.calls("response_url")) == 1


def test_a_failing_manager_check_is_told_through_response_url(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp
) -> None:
    start = len(http_app.output())
    api.faults.fail("users.info", "fatal_error")
    reply = slack.command("subscriptions", user_id="UFAIL4", response_url=api.response_url("mgr"))
    assert reply.status == 200
    [told] = api.wait_for_response_url("mgr", timeout=10)
    assert "Slack did not answer as expected" in json.dumps(told.params)
    assert told.params["response_type"] == "ephemeral"
    logged = log_since(http_app, start, "failed after the request was answered")
    assert "fatal_error" in logged and "Traceback" in logged


def test_an_announcement_slack_refuses_is_told_and_nothing_is_subscribed(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp
) -> None:
    api.add_user("UFADM5", is_admin=True)
    api.faults.server_error("chat.postMessage", status=500, times=10)
    reply = slack.command(
        "subscribe teacher",
        team_id="TFAIL5",
        user_id="UFADM5",
        channel_id="CF5",
        response_url=api.response_url("sub5"),
    )
    assert reply.status == 200
    [told] = api.wait_for_response_url("sub5", timeout=30)
    assert "Slack did not answer as expected" in json.dumps(told.params)
    store = Store(http_app.db)
    try:
        assert store.subscription("TFAIL5", "CF5") is None
    finally:
        store.close()


def test_socket_mode_acks_an_event_whose_home_tab_slack_refuses(
    socket_app: SocketModeApp, api: SlackWebAPI
) -> None:
    api.faults.fail("views.publish", "invalid_blocks", times=2)
    server = socket_app.server
    event = event_callback(app_home_opened_event("USF1"))
    server.wait_for_ack(server.send_envelope("events_api", event), timeout=10)
    command = dict(slash_command_body("3.8"))
    ack = server.wait_for_ack(server.send_envelope("slash_commands", command), timeout=10)
    assert "Write directions" in json.dumps(ack["payload"])
    api.wait_for("views.publish", timeout=10)
