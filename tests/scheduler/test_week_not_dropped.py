"""No week dropped in silence: a channel not posted because of the database, a lost lease or
Slack is tried again that week (soon when the cause is on this side), and a week that ends with
channels still not posted is told to their managers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from slack_sdk import WebClient

from bot.views import NUDGE_MESSAGES
from progression.model import Progression
from scheduler.fanout import HERE, FanoutContext, run_fanout
from scheduler.jobs import RETRY_SOON, NudgeScheduler, build_scheduler, run_nudge_job
from scheduler.limits import SlackLimits
from store import Store
from store.leases import fanout_lease
from tests.conftest import BOT_TOKEN
from tests.scheduler import FAST, MANAGER, TEAM, post_calls, subscribe
from tests.slack.web_api import SlackWebAPI
from tests.store import execute

MONDAY = date(2026, 3, 2)  # 2026-W10; the slot is Monday 08:00 UTC
SUNDAY = MONDAY + timedelta(days=6)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@pytest.fixture
def quick_store(database: str) -> Iterator[Store]:
    """A store whose writes give up on a lock within a moment, as a request's do."""
    store = Store(database, write_wait=0.3)
    yield store
    store.close()


@pytest.fixture
def jobs_of(api: SlackWebAPI, progression: Progression) -> Iterator[list[NudgeScheduler]]:
    made: list[NudgeScheduler] = []
    yield made
    for scheduler in made:
        scheduler.shutdown()


def paused_scheduler(
    store: Store, progression: Progression, api: SlackWebAPI, made: list[NudgeScheduler]
) -> NudgeScheduler:
    client = WebClient(token=BOT_TOKEN, base_url=api.url)
    scheduler = build_scheduler(
        FanoutContext(
            store, progression, client, NUDGE_MESSAGES, clock=lambda: at(MONDAY, 7), limits=FAST
        )
    )
    scheduler.start(paused=True)
    made.append(scheduler)
    return scheduler


def armed_at(scheduler: NudgeScheduler) -> datetime:
    [job] = scheduler.get_jobs()
    slot: datetime = job.trigger.slot
    return slot


def dms_to(api: SlackWebAPI, user: str) -> list[str]:
    return [
        str(c.params.get("text"))
        for c in api.calls("chat.postMessage")
        if c.params.get("channel") == user
    ]


def test_claims_the_database_refused_are_retried_within_seconds_then_posted(
    api: SlackWebAPI,
    postgres_target: str,
    progression: Progression,
    jobs_of: list[NudgeScheduler],
) -> None:
    # Another transaction holds the very rows the claims would write (uncommitted), so the run
    # starts (its lease is written) and every claim then waits for that lock and gives up:
    # what a long lock in the middle of a fan-out does to the rest.
    import psycopg

    store = Store(postgres_target, write_wait=0.3)
    try:
        subscribe(store, "C1", "C2", "C3")
        scheduler = paused_scheduler(store, progression, api, jobs_of)
        now = at(MONDAY, 8)
        with psycopg.connect(postgres_target) as locker:
            for channel in ("C1", "C2", "C3"):
                locker.execute(
                    "insert into deliveries (team_id, channel_id, week, role, ref, round, state) "
                    "values (%s, %s, '2026-W10', 'teacher', '1.7', 1, 'sending')",
                    [TEAM, channel],
                )
            report = run_nudge_job(scheduler.nudges, TEAM, now)
            locker.rollback()
        assert report is not None
        assert [(r.outcome, r.cause) for r in report.results] == [("retry", HERE)] * 3
        assert all("database" in r.detail for r in report.results)
        assert api.calls("chat.postMessage") == []
        # Not next week: as soon as the database answers again.
        assert armed_at(scheduler) == now + RETRY_SOON

        again = run_nudge_job(scheduler.nudges, TEAM, now + RETRY_SOON)
        assert again is not None and [r.outcome for r in again.results] == ["posted"] * 3
        assert post_calls(api) == {"C1": 1, "C2": 1, "C3": 1}
        assert armed_at(scheduler) == at(MONDAY + timedelta(weeks=1), 8)
    finally:
        store.close()


def test_a_run_that_cannot_write_is_tried_again_within_seconds(
    api: SlackWebAPI,
    tmp_path: object,
    progression: Progression,
    jobs_of: list[NudgeScheduler],
) -> None:
    # SQLite: another process holds the write lock as the run starts (a backup, a tool).
    from pathlib import Path

    path = Path(str(tmp_path)) / "progression.db"
    store = Store(path, write_wait=0.3)
    try:
        subscribe(store, "C1")
        scheduler = paused_scheduler(store, progression, api, jobs_of)
        now = at(MONDAY, 8)
        locker = sqlite3.connect(path, isolation_level=None)
        try:
            locker.execute("begin immediate")
            assert run_nudge_job(scheduler.nudges, TEAM, now) is None
            assert armed_at(scheduler) == now + RETRY_SOON
        finally:
            locker.execute("rollback")
            locker.close()
        report = run_nudge_job(scheduler.nudges, TEAM, now + RETRY_SOON)
        assert report is not None and [r.outcome for r in report.results] == ["posted"]
    finally:
        store.close()


def test_channels_a_lost_fanout_lease_left_are_retried_not_counted_as_delivered(
    api: SlackWebAPI, store: Store, progression: Progression
) -> None:
    names = [f"C{n}" for n in range(10)]
    subscribe(store, *names)
    client = WebClient(token=BOT_TOKEN, base_url=api.url, retry_handlers=[])
    slow = SlackLimits(per_second=2, channel_interval=0.05, margin=0.0)
    taken = threading.Event()

    def take_it_over() -> None:
        # Another run takes the workspace over (this one stalled past its lease).
        api.wait_for("chat.postMessage", 3, timeout=10)
        execute(
            store,
            "update leases set holder = 'other-host:9' where name = ?",
            (fanout_lease(TEAM),),
        )
        taken.set()

    thief = threading.Thread(target=take_it_over)
    thief.start()
    context = FanoutContext(
        store,
        progression,
        client,
        NUDGE_MESSAGES,
        limits=slow,
        concurrency=2,
        lease_seconds=1.0,
    )
    report = run_fanout(context, TEAM, "2026-W10", at(MONDAY, 8))
    thief.join()
    assert taken.is_set()
    assert report.skipped == [], "nothing was delivered by another run"
    left = [r.channel_id for r in report.retry]
    assert left and all(r.cause == HERE for r in report.retry)
    assert len(report.posted) + len(left) == len(names)
    assert all(store.deliveries(TEAM, c) == [] for c in left)
    assert report.needs_retry and report.retry_soon


def test_a_nudge_slack_refuses_is_told_to_its_manager_once_and_tried_again_that_week(
    api: SlackWebAPI, store: Store, progression: Progression, jobs_of: list[NudgeScheduler]
) -> None:
    subscribe(store, "C1", "C2")
    scheduler = paused_scheduler(store, progression, api, jobs_of)
    api.faults.fail("chat.postMessage", "restricted_action", times=2, channel="C2")
    now = at(MONDAY, 8)

    report = run_nudge_job(scheduler.nudges, TEAM, now)
    assert report is not None and [r.channel_id for r in report.failed] == ["C2"]
    [told] = dms_to(api, MANAGER)
    assert "<#C2>" in told and "restricted_action" in told and "<#C1>" not in told
    assert "this week's nudge (the week of Monday 2 March 2026) for 1 channel:" in told
    assert armed_at(scheduler) == now + scheduler.nudges.retry_delay, "tried again this week"

    # Refused again: the manager already knows.
    later = run_nudge_job(scheduler.nudges, TEAM, armed_at(scheduler))
    assert later is not None and [r.channel_id for r in later.failed] == ["C2"]
    assert len(dms_to(api, MANAGER)) == 1

    # Slack takes it once the cause is fixed.
    fixed = run_nudge_job(scheduler.nudges, TEAM, armed_at(scheduler))
    assert fixed is not None and [r.channel_id for r in fixed.posted] == ["C2"]
    assert armed_at(scheduler) == at(MONDAY + timedelta(weeks=1), 8)


def test_a_week_that_ends_with_a_channel_not_posted_is_told_to_its_manager(
    api: SlackWebAPI, store: Store, progression: Progression, jobs_of: list[NudgeScheduler]
) -> None:
    subscribe(store, "C1", "C2")
    scheduler = paused_scheduler(store, progression, api, jobs_of)
    # Slack fails every post to C1 this week: each run gives up and leaves it for the next.
    api.faults.server_error("chat.postMessage", status=503, times=1000, channel="C1")

    report = run_nudge_job(scheduler.nudges, TEAM, at(MONDAY, 8))
    assert report is not None and [r.channel_id for r in report.retry] == ["C1"]
    assert dms_to(api, MANAGER) == [], "early in the week: tried again, nobody bothered yet"

    # The last run of the week: no retry fits in it any more.
    last = run_nudge_job(scheduler.nudges, TEAM, at(SUNDAY, 23, 58))
    assert last is not None and [r.channel_id for r in last.retry] == ["C1"]
    assert armed_at(scheduler) == at(MONDAY + timedelta(weeks=1), 8)
    [told] = dms_to(api, MANAGER)
    assert "<#C1>" in told and "the week of Monday 2 March 2026" in told
    assert "<#C2>" not in told and "2026-W10" not in told
    assert post_calls(api)["C2"] == 1
