"""The digest's and the reminders' jobs beside the nudges': armed at their slots, re-armed
when a manager changes them, gone when turned off, caught up after downtime."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from slack_sdk import WebClient

from bot.background.duties import DIGEST_MESSAGES
from bot.views import NUDGE_MESSAGES, reminder_message
from progression.model import Progression
from scheduler.fanout import FanoutContext
from scheduler.jobs import DIGESTS, NudgeScheduler, build_scheduler, job_id, run_nudge_job
from store import Store
from tests.conftest import BOT_TOKEN
from tests.scheduler import FAST, TEAM
from tests.slack.web_api import SlackWebAPI

MONDAY = date(2026, 11, 30)  # 2026-W49


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@pytest.fixture
def scheduler(api: SlackWebAPI, store: Store, progression: Progression) -> Iterator[NudgeScheduler]:
    api.add_channel("CLL", name="lincoln-leaders")
    api.add_member("CLL", "U1", "U2")
    store.subscribe(TEAM, "CLL", "leader", (), "U0MANAGER", "2026-W45", at(MONDAY, 7))
    client = WebClient(token=BOT_TOKEN, base_url=api.url)
    context = FanoutContext(
        store, progression, client, NUDGE_MESSAGES, limits=FAST, clock=lambda: at(MONDAY, 7)
    )
    scheduler = build_scheduler(
        context, digest_messages=DIGEST_MESSAGES, reminder_message=reminder_message
    )
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown()


def armed(scheduler: NudgeScheduler, kind: str) -> datetime | None:
    job = scheduler.get_job(job_id(TEAM, kind))
    return None if job is None else job.trigger.slot


def test_the_digest_is_armed_at_friday_14_and_again_a_week_later(
    api: SlackWebAPI, scheduler: NudgeScheduler
) -> None:
    friday = MONDAY + timedelta(days=4)
    assert armed(scheduler, "digest") == at(friday, 14)
    report = run_nudge_job(scheduler.nudges, TEAM, at(friday, 14), DIGESTS)
    assert report is not None and [r.channel_id for r in report.posted] == ["CLL"]
    assert armed(scheduler, "digest") == at(friday + timedelta(weeks=1), 14)


def test_a_digest_turned_off_has_no_job_and_one_turned_on_again_is_armed(
    store: Store, scheduler: NudgeScheduler
) -> None:
    store.set_digest_schedule(TEAM, 4, "14:00", False, at(MONDAY, 7))
    scheduler.rebuild(TEAM, at(MONDAY, 7))
    assert armed(scheduler, "digest") is None
    store.set_digest_schedule(TEAM, 2, "09:30", True, at(MONDAY, 7))
    scheduler.rebuild(TEAM, at(MONDAY, 7))
    assert armed(scheduler, "digest") == at(MONDAY + timedelta(days=2), 9, 30)


def test_a_digest_missed_while_down_goes_out_once_when_back(
    api: SlackWebAPI, store: Store, scheduler: NudgeScheduler
) -> None:
    saturday = at(MONDAY + timedelta(days=5), 10)
    scheduler.rebuild(TEAM, saturday)
    assert armed(scheduler, "digest") == saturday, "this week's digest, at once"
    run_nudge_job(scheduler.nudges, TEAM, saturday, DIGESTS)
    scheduler.rebuild(TEAM, saturday)
    assert armed(scheduler, "digest") == at(MONDAY + timedelta(days=11), 14), "then next week"
    assert len(api.calls("chat.postMessage")) == 1


def test_a_channels_reminder_day_arms_a_job_at_the_schedules_time(
    store: Store, scheduler: NudgeScheduler
) -> None:
    assert armed(scheduler, "reminder-3") is None
    store.set_reminder(TEAM, "CLL", 3)
    scheduler.rebuild(TEAM, at(MONDAY, 7))
    assert armed(scheduler, "reminder-3") == at(MONDAY + timedelta(days=3), 8)
    store.set_reminder(TEAM, "CLL", None)
    scheduler.rebuild(TEAM, at(MONDAY, 7))
    assert armed(scheduler, "reminder-3") is None
