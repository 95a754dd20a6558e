"""Slack gets its answer first: every HTTP response and Socket Mode ack arrives while the Web
API and response_url are held, and what needs Slack follows once they are released."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.slack.membership import remember_membership
from store import Store
from tests.bot.answers import is_interim
from tests.bot.nudges import add_nudge, let_in
from tests.conftest import RunningApp, SocketModeApp
from tests.slack.signing import (
    TEAM_ID,
    SlackSender,
    app_home_opened_event,
    block_actions_body,
    event_callback,
    slash_command_body,
)
from tests.slack.web_api import SlackWebAPI

_ids = itertools.count(1)
HOME = {"id": "V0001", "type": "home"}


@pytest.fixture
def held(api: SlackWebAPI, no_listener_failed: None) -> Iterator[SlackWebAPI]:
    """The stand-in, holding every answer until the test releases it."""
    api.faults.hold()
    yield api
    api.faults.release()


@pytest.fixture
def no_listener_failed(http_app: RunningApp) -> Iterator[None]:
    """A listener that waited on Slack would have answered only when its call gave up (the
    request's client fails fast), logging the failure before the response was sent."""
    start = len(http_app.output())
    yield
    assert "Listener failed" not in http_app.output()[start:]


def _admin(api: SlackWebAPI) -> str:
    # A user the app has not asked about yet, so the manager check needs users.info.
    user = f"UADM{next(_ids):04d}"
    api.add_user(user, is_admin=True)
    return user


def _texts(message: dict[str, Any]) -> str:
    return json.dumps(message)


def _is_checked(db: Path, channel: str, ref: str, user: str) -> bool:
    store = Store(db)
    try:
        return user in store.checked_by(TEAM_ID, channel, ref)
    finally:
        store.close()


# --- over HTTP ---------------------------------------------------------------------------


def test_subscribe_answers_at_once_and_reports_through_response_url(
    slack: SlackSender, held: SlackWebAPI
) -> None:
    admin, team = _admin(held), f"TACK{next(_ids):03d}"
    reply = slack.command(
        "subscribe teacher",
        team_id=team,
        user_id=admin,
        channel_id="CACK1",
        response_url=held.response_url("sub"),
    )
    assert reply.status == 200 and is_interim(reply.json())
    # Not known to manage yet: nothing is said to be under way before Slack says (issue 16, §7).
    assert "Checking with Slack that you can manage" in reply.json()["text"]
    assert "Subscribing" not in reply.json()["text"]
    held.wait_for("users.info")  # asked, and still unanswered
    assert held.faults.holding
    assert not held.calls("chat.postMessage") and not held.calls("response_url")

    held.faults.release()
    [result] = held.wait_for_response_url("sub", timeout=10)
    assert "now gets one *Teacher* move a week" in _texts(result.params)
    [announcement] = held.calls("chat.postMessage")
    assert announcement.params["channel"] == "CACK1"


def test_a_manager_command_waits_for_users_info_after_the_ack(
    slack: SlackSender, held: SlackWebAPI
) -> None:
    admin = _admin(held)
    reply = slack.command("schedule", user_id=admin, response_url=held.response_url("sched"))
    assert reply.status == 200 and is_interim(reply.json())
    held.wait_for("users.info")
    held.faults.release()
    [result] = held.wait_for_response_url("sched", timeout=10)
    assert "Monday at 08:00" in _texts(result.params)
    # Known now: the next one is answered in the response itself, without asking Slack again
    # (another worker may still make its one auth.test: Bolt asks it on a worker's first request).
    before = len(held.calls("users.info"))
    again = slack.command("schedule", user_id=admin).json()
    assert "Monday at 08:00" in _texts(again) and len(held.calls("users.info")) == before


def test_a_rate_limited_manager_check_does_not_hold_the_answer(
    slack: SlackSender, api: SlackWebAPI, no_listener_failed: None
) -> None:
    # Seen before: users.info answering 429 Retry-After 4 held a command 4.9 s.
    admin = _admin(api)
    api.faults.rate_limit("users.info", retry_after=4)
    reply = slack.command("skips", user_id=admin, response_url=api.response_url("rl"))
    assert reply.status == 200 and is_interim(reply.json())
    assert not api.calls("response_url")  # the wait is after the answer, not in it
    [result] = api.wait_for_response_url("rl", timeout=15)
    assert "break" in _texts(result.params).lower()
    assert [c.outcome for c in api.calls("users.info")] == ["ratelimited", "ok"]


def test_a_lookup_is_answered_in_the_response_while_slack_is_held(
    slack: SlackSender, held: SlackWebAPI
) -> None:
    body = slack.command("3.8").json()
    assert "Write directions or create video tutorials" in _texts(body)
    assert held.faults.holding and not held.calls()


def _known_to_be_in_no_role_channel(db: Path, user: str) -> None:
    """As after the person's last opening of App Home: their channels, and not a manager."""
    store = Store(db)
    try:
        now = datetime.now(UTC)
        remember_membership(store, TEAM_ID, user, frozenset(), now)
        store.remember_manager(TEAM_ID, user, False, now.timestamp())
    finally:
        store.close()


def test_app_home_opened_is_acked_before_views_publish_is_answered(
    slack: SlackSender, held: SlackWebAPI, http_app: RunningApp
) -> None:
    # Where the person's channels and standing are known, views.publish is the only call
    # (otherwise users.conversations and users.info come first, as soon as other tests gave the
    # app role channels).
    _known_to_be_in_no_role_channel(http_app.db, "UHOLD1")
    assert slack.event(app_home_opened_event("UHOLD1")).status == 200
    [publish] = held.wait_for("views.publish")
    assert publish.params["user_id"] == "UHOLD1" and held.faults.holding
    held.faults.release()


def test_mark_done_is_acked_and_recorded_before_slack_answers(
    slack: SlackSender, held: SlackWebAPI, http_app: RunningApp
) -> None:
    nudge = add_nudge(http_app.db, ref="2.3")
    let_in(http_app.db, held, nudge, "UH2")
    answer = slack.action("home_mark_done", f"{nudge.channel}|{nudge.ts}", user_id="UH2", view=HOME)
    assert answer.status == 200
    assert _is_checked(http_app.db, nudge.channel, nudge.ref, "UH2")
    held.wait_for("views.publish")
    held.faults.release()
    published = held.wait_for("views.publish")[-1]
    assert published.params["user_id"] == "UH2"
    held.wait_for("chat.update", timeout=10)  # the live count, so it ends within this test


def test_share_is_acked_then_posted_and_the_private_reply_removed_separately(
    slack: SlackSender, held: SlackWebAPI
) -> None:
    answer = slack.action("share_reply", "3.8", user_id="UH3", response_url=held.response_url("sh"))
    assert answer.status == 200
    [shared] = held.wait_for_response_url("sh")
    assert shared.params["response_type"] == "in_channel"
    assert shared.params["replace_original"] is False and "delete_original" not in shared.params
    assert "<@UH3>" in _texts(shared.params)
    held.faults.release()
    removal = held.wait_for_response_url("sh", count=2)[1]
    assert removal.params == {"delete_original": True}


# --- over Socket Mode --------------------------------------------------------------------


def test_socket_mode_acks_a_command_an_event_and_a_button_while_slack_is_held(
    socket_app: SocketModeApp, api: SlackWebAPI, tmp_path: Path
) -> None:
    server, admin = socket_app.server, _admin(api)
    nudge = add_nudge(tmp_path / "progression.db", ref="2.5")
    let_in(tmp_path / "progression.db", api, nudge, "USOCK2")
    api.faults.hold()
    try:
        command = dict(
            slash_command_body(
                "subscribe leader",
                user_id=admin,
                channel_id="CSOCK1",
                response_url=api.response_url("sock-sub"),
            )
        )
        ack = server.wait_for_ack(server.send_envelope("slash_commands", command), timeout=10)
        assert "Checking with Slack that you can manage" in json.dumps(ack["payload"])
        assert "Subscribing" not in json.dumps(ack["payload"])

        event = event_callback(app_home_opened_event("USOCK1"))
        server.wait_for_ack(server.send_envelope("events_api", event), timeout=10)

        press = json.loads(
            block_actions_body(
                "home_mark_done", f"{nudge.channel}|{nudge.ts}", user_id="USOCK2", view=HOME
            )["payload"]
        )
        server.wait_for_ack(server.send_envelope("interactive", press), timeout=10)
        assert _is_checked(tmp_path / "progression.db", nudge.channel, nudge.ref, "USOCK2")
        assert api.faults.holding and not api.calls("response_url")
    finally:
        api.faults.release()
    [result] = api.wait_for_response_url("sock-sub", timeout=10)
    assert "now gets one *Leader* move a week" in _texts(result.params)
    published = {c.params["user_id"] for c in api.wait_for("views.publish", 2, timeout=10)}
    assert published == {"USOCK1", "USOCK2"}
    socket_app.process.terminate()
    output, _ = socket_app.process.communicate(timeout=30)
    assert "Listener failed" not in output and "Traceback" not in output
