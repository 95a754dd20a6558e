"""Reminders: one reply in the nudge's thread when not everyone is done, on the channel's day,
never twice a week, not in a break week, not when everyone is done."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from slack_sdk import WebClient

from bot.views import NUDGE_MESSAGES, reminder_message
from progression.calendar import SchoolBreak
from progression.model import Progression
from scheduler.fanout import FanoutContext, FanoutReport
from scheduler.reminders import run_reminders
from store import Store
from tests.conftest import BOT_TOKEN
from tests.scheduler import FAST, TEAM
from tests.slack.web_api import SlackWebAPI

THURSDAY = datetime(2026, 12, 3, 8, 5, tzinfo=UTC)  # 2026-W49
WEEK = "2026-W49"


@pytest.fixture
def channels(api: SlackWebAPI, store: Store) -> Store:
    """Three teacher channels of four people with this week's nudge 1.8: CR (reminders on
    Thursday, one done), CALL (reminders on Thursday, everyone done), CNO (no reminders)."""
    for channel, weekday in (("CR", 3), ("CALL", 3), ("CNO", None)):
        api.add_channel(channel, name=f"lincoln-teachers-{channel.lower()}")
        api.add_member(channel, *(f"U{channel}{n}" for n in range(4)))
        store.subscribe(TEAM, channel, "teacher", (), "U0MANAGER", "2026-W45", THURSDAY)
        store.set_reminder(TEAM, channel, weekday)
        assert store.claim_delivery(
            TEAM, channel, WEEK, role="teacher", ref="1.8", round=1, owner="h:1", now=THURSDAY
        )
        store.confirm_delivery(TEAM, channel, WEEK, f"1700.{channel}", THURSDAY)
    store.record_checkoff(TEAM, "CR", "1.8", "UCR0", THURSDAY)
    for n in range(4):
        store.record_checkoff(TEAM, "CALL", "1.8", f"UCALL{n}", THURSDAY)
    return store


def remind(store: Store, progression: Progression, api: SlackWebAPI, **options: object):
    client = WebClient(token=BOT_TOKEN, base_url=api.url, timeout=5, retry_handlers=[])
    context = FanoutContext(store, progression, client, NUDGE_MESSAGES, limits=FAST)
    report: FanoutReport = run_reminders(
        context,
        TEAM,
        WEEK,
        THURSDAY,
        reminder_message,
        **options,  # type: ignore[arg-type]
    )
    return report


def test_a_reminder_is_one_reply_in_the_nudges_thread_with_the_count(
    api: SlackWebAPI, channels: Store, progression: Progression
) -> None:
    report = remind(channels, progression, api, weekday=3)
    assert [(r.channel_id, r.outcome) for r in report.posted] == [("CR", "posted")]
    [reply] = api.calls("chat.postMessage")
    assert reply.params["channel"] == "CR" and reply.params["thread_ts"] == "1700.CR"
    assert "1 of 4 so far for *1.8*" in str(reply.params["blocks"])
    nothing = {r.channel_id: r.detail for r in report.of("nothing")}
    assert nothing == {"CALL": "everyone is done"}


def test_never_twice_a_week_and_not_on_another_day(
    api: SlackWebAPI, channels: Store, progression: Progression
) -> None:
    remind(channels, progression, api, weekday=3)
    again = remind(channels, progression, api, weekday=3)
    assert [(r.channel_id, r.outcome) for r in again.results if r.channel_id == "CR"] == [
        ("CR", "skipped")
    ]
    assert remind(channels, progression, api, weekday=1).results == []
    assert len(api.calls("chat.postMessage")) == 1


def test_no_reminder_in_a_break_week(
    api: SlackWebAPI, channels: Store, progression: Progression
) -> None:
    channels.add_break(TEAM, SchoolBreak(date(2026, 11, 30), date(2026, 12, 4)), "U0", THURSDAY)
    assert remind(channels, progression, api, weekday=3).results == []
    assert api.calls("chat.postMessage") == []


def test_a_dry_run_says_what_would_be_sent(
    api: SlackWebAPI, channels: Store, progression: Progression
) -> None:
    report = remind(channels, progression, api, dry_run=True)
    assert [(r.channel_id, r.outcome) for r in report.of("would_post")] == [("CR", "would_post")]
    assert api.calls("chat.postMessage") == []
