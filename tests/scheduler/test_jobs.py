"""The scheduled jobs, called with a given `now`: slots, breaks, catch-up, retries, re-arming."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from slack_sdk import WebClient

from bot.views import NUDGE_MESSAGES
from progression.calendar import SchoolBreak, WeeklySlot
from progression.model import Progression
from scheduler.fanout import FanoutContext
from scheduler.jobs import (
    ARM_RETRY_DELAY,
    NO_SLOT_RECHECK,
    NudgeScheduler,
    SlotTrigger,
    build_scheduler,
    job_id,
    run_nudge_job,
)
from scheduler.plan import next_nudge_at
from store import Store
from store.leases import fanout_lease
from tests.conftest import BOT_TOKEN
from tests.scheduler import FAST, TEAM, post_calls, subscribe, texts
from tests.slack.web_api import SlackWebAPI
from tests.store import execute

CHICAGO = "America/Chicago"
MONDAY = date(2026, 3, 2)  # 2026-W10


def at(day: date, hour: int, minute: int = 0, zone: str = "UTC") -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


@pytest.fixture
def scheduler(
    api: SlackWebAPI, store: Store, progression: Progression, tmp_path: Path
) -> Iterator[NudgeScheduler]:
    """Started paused: jobs are armed and replaced as in production, but never fire."""
    subscribe(store, "C1")
    client = WebClient(token=BOT_TOKEN, base_url=api.url)
    scheduler = build_scheduler(
        FanoutContext(
            store, progression, client, NUDGE_MESSAGES, clock=lambda: at(MONDAY, 7), limits=FAST
        )
    )
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown()


def armed_at(scheduler: NudgeScheduler) -> datetime:
    job = scheduler.get_job(job_id(TEAM))
    assert job is not None and isinstance(job.trigger, SlotTrigger)
    slot: datetime = job.trigger.slot
    return slot


def test_start_up_arms_a_catch_up_run_per_workspace(scheduler: NudgeScheduler) -> None:
    assert [job.id for job in scheduler.get_jobs()] == [job_id(TEAM)]
    assert armed_at(scheduler) == at(MONDAY, 7)


def test_before_the_slot_nothing_is_due_and_the_job_waits_for_the_slot(
    api: SlackWebAPI, scheduler: NudgeScheduler
) -> None:
    assert run_nudge_job(scheduler.nudges, TEAM, at(MONDAY, 7, 59)) is None
    assert api.calls("chat.postMessage") == []
    assert armed_at(scheduler) == at(MONDAY, 8)


def test_at_the_slot_the_week_goes_out_and_the_job_arms_next_week(
    api: SlackWebAPI, scheduler: NudgeScheduler
) -> None:
    report = run_nudge_job(scheduler.nudges, TEAM, at(MONDAY, 8, 0))
    assert report is not None and report.week == "2026-W10"
    assert [r.ref for r in report.posted] == ["1.7"]
    assert armed_at(scheduler) == at(MONDAY + timedelta(weeks=1), 8)


def test_a_monday_holiday_posts_on_tuesday(
    api: SlackWebAPI, store: Store, scheduler: NudgeScheduler
) -> None:
    store.add_break(TEAM, SchoolBreak(MONDAY, MONDAY), "U0MANAGER", at(MONDAY, 7))

    assert run_nudge_job(scheduler.nudges, TEAM, at(MONDAY, 9)) is None
    assert api.calls("chat.postMessage") == []
    assert armed_at(scheduler) == at(MONDAY + timedelta(days=1), 8)

    report = run_nudge_job(scheduler.nudges, TEAM, at(MONDAY + timedelta(days=1), 8, 1))
    assert report is not None and [r.ref for r in report.posted] == ["1.7"]


def test_a_break_week_posts_nothing_and_the_sequence_does_not_advance(
    api: SlackWebAPI, store: Store, scheduler: NudgeScheduler
) -> None:
    friday = MONDAY + timedelta(days=4)
    store.add_break(TEAM, SchoolBreak(MONDAY, friday), "U0MANAGER", at(MONDAY, 7))

    assert run_nudge_job(scheduler.nudges, TEAM, at(friday, 12)) is None
    assert api.calls("chat.postMessage") == []
    assert armed_at(scheduler) == at(MONDAY + timedelta(weeks=1), 8)

    report = run_nudge_job(scheduler.nudges, TEAM, at(MONDAY + timedelta(weeks=1), 8))
    assert report is not None and [r.ref for r in report.posted] == ["1.7"]


def test_three_weeks_down_is_one_nudge_for_the_current_week(
    api: SlackWebAPI, scheduler: NudgeScheduler
) -> None:
    back = MONDAY + timedelta(weeks=3, days=2)  # Wednesday of 2026-W13
    report = run_nudge_job(scheduler.nudges, TEAM, at(back, 15))
    assert report is not None and report.week == "2026-W13"
    assert post_calls(api) == {"C1": 1}
    assert "Next move 1.7" in texts(api, "C1")[0]
    assert run_nudge_job(scheduler.nudges, TEAM, at(back, 15, 5)) is not None
    assert post_calls(api) == {"C1": 1}


def test_channels_left_to_retry_re_arm_the_job_minutes_later_in_the_same_week(
    api: SlackWebAPI, scheduler: NudgeScheduler
) -> None:
    api.faults.server_error("chat.postMessage", status=502, times=FAST.max_attempts, channel="C1")
    now = at(MONDAY, 8)
    report = run_nudge_job(scheduler.nudges, TEAM, now)
    assert report is not None and report.needs_retry
    assert armed_at(scheduler) == now + scheduler.nudges.retry_delay

    retry = run_nudge_job(scheduler.nudges, TEAM, armed_at(scheduler))
    assert retry is not None and [r.channel_id for r in retry.posted] == ["C1"]
    assert armed_at(scheduler) == at(MONDAY + timedelta(weeks=1), 8)


def test_a_run_held_by_another_process_posts_nothing_and_looks_again_once_its_lease_lapses(
    api: SlackWebAPI, store: Store, scheduler: NudgeScheduler
) -> None:
    # Another `serve` (or a `nudge`) is delivering this workspace right now, on another host:
    # only its lease lapsing would say it died, so the next look comes one lease later.
    lease = store.take_lease(fanout_lease(TEAM), "web-2:7", at(MONDAY, 7).timestamp(), 3600)
    assert lease.holder == "web-2:7"
    now = at(MONDAY, 8)
    assert run_nudge_job(scheduler.nudges, TEAM, now) is None
    assert api.calls("chat.postMessage") == []
    assert scheduler.nudges.fanout.lease_seconds == 30  # the runner lease's default length
    assert armed_at(scheduler) == now + timedelta(seconds=30)


def test_rebuild_follows_a_changed_schedule_in_the_workspace_timezone(
    store: Store, scheduler: NudgeScheduler
) -> None:
    store.set_schedule(TEAM, WeeklySlot(2, time(7, 30), CHICAGO), at(MONDAY, 7))
    assert scheduler.rebuild(TEAM, at(MONDAY, 7)) == at(MONDAY + timedelta(days=2), 7, 30, CHICAGO)
    assert armed_at(scheduler) == at(MONDAY + timedelta(days=2), 7, 30, CHICAGO)


def test_the_running_scheduler_catches_up_at_start_and_re_arms(
    api: SlackWebAPI, store: Store, progression: Progression, tmp_path: Path
) -> None:
    subscribe(store, "C1")
    # The scheduler runs on real time; the app's clock is real time shifted back to the most
    # recent noon, so a slot at 11:00 has just passed whatever the hour the test runs at.
    real = datetime.now(UTC)
    noon = real.replace(hour=12, minute=0, second=0, microsecond=0)
    offset = real - (noon if noon <= real else noon - timedelta(days=1))

    def clock() -> datetime:
        return datetime.now(UTC) - offset

    now = clock()
    client = WebClient(token=BOT_TOKEN, base_url=api.url)
    slot = WeeklySlot(now.weekday(), time(11, 0), "UTC")
    store.set_schedule(TEAM, slot, now)
    scheduler = build_scheduler(
        FanoutContext(store, progression, client, NUDGE_MESSAGES, limits=FAST, clock=clock)
    )
    ran = threading.Event()

    def on_executed(event: JobExecutionEvent) -> None:
        if event.job_id == job_id(TEAM):
            ran.set()

    scheduler.add_listener(on_executed, EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        assert ran.wait(10), "the catch-up run did not happen"
        assert post_calls(api) == {"C1": 1}
        assert armed_at(scheduler) > now + timedelta(days=6)
    finally:
        scheduler.shutdown()


def test_moving_the_slot_to_an_earlier_day_posts_this_week_now_as_preview_says(
    api: SlackWebAPI, store: Store, scheduler: NudgeScheduler
) -> None:
    tuesday = MONDAY + timedelta(days=1)
    store.set_schedule(TEAM, WeeklySlot(2, time(9, 0), "UTC"), at(MONDAY, 7))
    assert scheduler.rebuild(TEAM, at(MONDAY, 7)) == at(tuesday + timedelta(days=1), 9)

    # Tuesday, nothing posted yet this week: the slot moves to Monday 08:00, already behind.
    now = at(tuesday, 10)
    store.set_schedule(TEAM, WeeklySlot(0, time(8, 0), "UTC"), now)
    armed = scheduler.rebuild(TEAM, now)
    subscription = store.subscription(TEAM, "C1")
    assert subscription is not None
    assert next_nudge_at(store, subscription, "UTC", now) == ("2026-W10", now)  # preview
    assert armed == now and armed_at(scheduler) == now

    report = run_nudge_job(scheduler.nudges, TEAM, armed)
    assert report is not None and report.week == "2026-W10"
    assert [r.channel_id for r in report.posted] == ["C1"]
    assert armed_at(scheduler) == at(MONDAY + timedelta(weeks=1), 8)


def test_a_failed_read_while_arming_is_logged_and_tried_again(
    store: Store, scheduler: NudgeScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    # A row no code path writes (a hand edit, an older tool): reading the breaks fails.
    execute(
        store,
        "insert into skips (team_id, start, \"end\") values (?, '2026-13-40', '2026-13-41')",
        (TEAM,),
    )
    now = at(MONDAY, 7)
    assert scheduler.rebuild(TEAM, now) == now + ARM_RETRY_DELAY
    assert armed_at(scheduler) == now + ARM_RETRY_DELAY
    assert f"Arming the nudges of {TEAM} failed" in caplog.text

    execute(store, "delete from skips where start = '2026-13-40'")
    assert run_nudge_job(scheduler.nudges, TEAM, now + ARM_RETRY_DELAY) is None
    assert armed_at(scheduler) == at(MONDAY, 8)


def test_a_break_to_the_end_of_the_calendar_never_drops_the_job(
    api: SlackWebAPI, store: Store, scheduler: NudgeScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    # Stored before breaks were checked: every week after this one is a break.
    store.add_break(
        TEAM, SchoolBreak(MONDAY + timedelta(weeks=1), date(9999, 12, 31)), "U", at(MONDAY, 7)
    )
    report = run_nudge_job(scheduler.nudges, TEAM, at(MONDAY, 8))
    assert report is not None and [r.channel_id for r in report.posted] == ["C1"]
    assert armed_at(scheduler) == at(MONDAY, 8) + NO_SLOT_RECHECK
    assert f"No nudge ahead for {TEAM}" in caplog.text


def test_a_slot_on_a_clock_ahead_of_real_time_fires_after_the_time_left_on_that_clock(
    scheduler: NudgeScheduler,
) -> None:
    # The scheduler's clock reads Monday 07:00 whatever the real date: the 08:00 slot is an
    # hour of real time away, not months in the past.
    job = scheduler.get_job(job_id(TEAM))
    assert job is not None
    scheduler.rebuild(TEAM)
    job = scheduler.get_job(job_id(TEAM))
    assert job is not None and isinstance(job.trigger, SlotTrigger)
    left = job.trigger.run_date - datetime.now(UTC)
    assert timedelta(minutes=59) < left <= timedelta(hours=1)


def test_a_workspace_that_removed_the_app_has_no_jobs_and_no_run_calls_slack(
    api: SlackWebAPI, store: Store, scheduler: NudgeScheduler
) -> None:
    assert scheduler.get_job(job_id(TEAM)) is not None
    store.mark_departed(TEAM, "the app was uninstalled", at(MONDAY, 7, 30))
    scheduler.rebuild(TEAM, at(MONDAY, 7, 30))  # the "arm" work the departure queued
    assert scheduler.get_jobs() == []
    # A job armed before the departure and firing after it posts nothing, and arms nothing.
    assert run_nudge_job(scheduler.nudges, TEAM, at(MONDAY, 8)) is None
    assert api.calls() == [] and scheduler.get_jobs() == []

    assert store.welcome_back(TEAM, at(MONDAY, 9))
    scheduler.rebuild(TEAM, at(MONDAY, 9))
    assert armed_at(scheduler) == at(MONDAY, 9)  # back: this week's nudge is caught up at once
