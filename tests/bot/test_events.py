"""Events in the test's process: check-off reactions on nudges, and the App Home tab
(bot/listeners/events.py)."""

from __future__ import annotations

import logging

import pytest

from tests.bot.in_process import InProcess
from tests.bot.nudges import Nudge, add_nudge
from tests.slack.signing import TEAM_ID, app_home_opened_event, reaction_event
from tests.slack.web_api import BOT_USER_ID, SlackWebAPI


def _react(app: InProcess, nudge: Nudge, user: str, emoji: str, kind: str = "added") -> int:
    event = reaction_event(
        f"reaction_{kind}", user=user, reaction=emoji, channel=nudge.channel, ts=nudge.ts
    )
    return app.event(event).status


def _checked(app: InProcess, nudge: Nudge) -> list[str]:
    return app.store.checked_by(TEAM_ID, nudge.channel, nudge.ref)


def test_a_check_emoji_on_a_nudge_is_recorded_and_taken_back(in_process: InProcess) -> None:
    nudge = add_nudge(in_process.db, ref="1.8")
    assert _react(in_process, nudge, "UR1", "white_check_mark::skin-tone-3") == 200
    assert _checked(in_process, nudge) == ["UR1"]
    assert _react(in_process, nudge, "UR1", "white_check_mark", "removed") == 200
    assert _checked(in_process, nudge) == []


@pytest.mark.parametrize(
    ("user", "emoji", "on_a_nudge"),
    [
        ("UR2", "tada", True),  # not a check-off emoji
        (BOT_USER_ID, "white_check_mark", True),  # the app itself
        ("UR3", "white_check_mark", False),  # a message that is no nudge
    ],
)
def test_anything_else_is_not_a_check_off(
    in_process: InProcess, user: str, emoji: str, on_a_nudge: bool
) -> None:
    nudge = add_nudge(in_process.db, ref="1.9")
    target = nudge if on_a_nudge else Nudge(nudge.channel, "1700000000.999999", nudge.ref)
    assert _react(in_process, target, user, emoji) == 200
    assert _checked(in_process, nudge) == []


def test_opening_app_home_is_acked_before_views_publish_is_answered(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    api.faults.hold()
    assert in_process.event(app_home_opened_event("UHOME1")).status == 200
    [publish] = api.wait_for("views.publish")
    assert publish.params["user_id"] == "UHOME1" and api.faults.holding


def test_another_tab_publishes_nothing(in_process: InProcess, api: SlackWebAPI) -> None:
    assert in_process.event(app_home_opened_event("UHOME2", tab="messages")).status == 200
    in_process.settle()
    assert not api.calls()


def test_a_home_tab_slack_refuses_is_logged_once_with_its_traceback(
    in_process: InProcess, api: SlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.faults.fail("views.publish", "invalid_blocks")
    assert in_process.event(app_home_opened_event("UFAIL1")).status == 200
    in_process.settle()
    [failed] = [r for r in caplog.records if "Publishing the Home tab failed" in r.message]
    assert failed.levelno == logging.ERROR and failed.exc_info is not None
    assert "invalid_blocks" in caplog.text
