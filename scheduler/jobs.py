"""The weekly nudge jobs: one APScheduler 3.x job per workspace, armed at its next slot.

Each job is a one-off `DateTrigger` with the id `nudge:<team>`. When it fires it delivers the
week that is due (`calendar.due_week`: the current week once its slot has passed, so a run after
downtime catches up on the current week only) and arms itself again: at the next slot, or a few
minutes later in the same week when Slack left channels to retry. One-off triggers rather than a
cron trigger because the slot moves with school breaks, and a schedule or a break a manager
changes is picked up by `rebuild(team)` or at the next arming, which reads the store afresh.

The job store is in memory (never shared between processes): the database is the truth, and
start-up arms every workspace again with an immediate catch-up run. A workspace is never left
without a job: when arming fails (a failed read, a date the calendar cannot compute), the
failure is logged and the job is armed again a little later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from slack_sdk import WebClient

from bot.settings import Settings
from progression.calendar import CalendarError, due_week, next_slot, week_of
from progression.model import Progression
from scheduler.fanout import DEFAULT_CONCURRENCY, FanoutReport, run_fanout, utc_now
from scheduler.lease import FanoutRunning, this_owner
from scheduler.limits import SlackLimits, without_retries, workspace_limits
from scheduler.plan import workspace_slot
from store import Store

logger = logging.getLogger(__name__)

RETRY_DELAY = timedelta(minutes=5)
# After a failure to arm (a failed read, say), the next try; cheap, and logged each time.
ARM_RETRY_DELAY = timedelta(minutes=1)
# Every week ahead is a break: look again daily (a manager may remove the break meanwhile,
# which re-arms at once; this is for a calendar that simply runs out).
NO_SLOT_RECHECK = timedelta(days=1)


def job_id(team_id: str) -> str:
    return f"nudge:{team_id}"


@dataclass
class NudgeJobs:
    """What a nudge job needs; handed to each job as its argument."""

    settings: Settings
    store: Store
    progression: Progression
    client: WebClient
    scheduler: BackgroundScheduler
    clock: Callable[[], datetime] = utc_now
    owner: str = field(default_factory=this_owner)
    limits: SlackLimits | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    retry_delay: timedelta = RETRY_DELAY
    arm_retry_delay: timedelta = ARM_RETRY_DELAY
    _running: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def one_run_at_a_time(self, team_id: str) -> threading.Lock:
        """Held by a workspace's run: a second run (re-armed for now while one was going)
        waits for it, then finds what is left, instead of being skipped."""
        with self._guard:
            return self._running.setdefault(team_id, threading.Lock())


class NudgeScheduler(BackgroundScheduler):
    """A BackgroundScheduler that knows the nudge jobs, so listeners can `rebuild(team)`."""

    nudges: NudgeJobs

    def rebuild(self, team_id: str, now: datetime | None = None) -> datetime:
        """Re-arm a workspace after its schedule, breaks or subscriptions changed.

        When this week's slot is now behind (a slot moved to an earlier day, a break removed),
        the job runs at once, as `preview` says: it posts to every channel that has not had
        this week's nudge, and its claims keep the others from a second one."""
        return arm(self.nudges, team_id, now or self.nudges.clock(), catch_up=True)


def build_scheduler(
    settings: Settings,
    store: Store,
    progression: Progression,
    client: WebClient,
    *,
    clock: Callable[[], datetime] = utc_now,
    limits: SlackLimits | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> NudgeScheduler:
    """The scheduler `serve` starts: every workspace gets a catch-up run now, which then arms
    the workspace's next slot. Not started: the caller starts and shuts it down."""
    scheduler = NudgeScheduler(
        timezone=UTC,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={
            # A late run still delivers the due week (and only that week), so lateness is never
            # a reason to skip: a skipped one-off job would never arm the next slot.
            "misfire_grace_time": None,
            "coalesce": True,
            # A job re-armed for "now" while its run is still going must not be skipped (a
            # skipped one-off job is gone): it waits for that run (`one_run_at_a_time`).
            "max_instances": 3,
        },
    )
    scheduler.nudges = NudgeJobs(
        settings=settings,
        store=store,
        progression=progression,
        client=without_retries(client),
        scheduler=scheduler,
        clock=clock,
        limits=limits,
        concurrency=concurrency,
    )
    now = clock()
    for team_id in store.teams():
        _add(scheduler.nudges, team_id, now)
    return scheduler


def run_nudge_job(
    jobs: NudgeJobs, team_id: str, now: datetime | None = None
) -> FanoutReport | None:
    """The job: deliver the week due at `now`, if any, then arm the next run."""
    with jobs.one_run_at_a_time(team_id):
        return _run_nudge_job(jobs, team_id, now or jobs.clock())


def _run_nudge_job(jobs: NudgeJobs, team_id: str, now: datetime) -> FanoutReport | None:
    report: FanoutReport | None = None
    failed, running = True, False
    try:
        slot = workspace_slot(jobs.store, team_id, jobs.settings.progression_tz)
        week = due_week(now, slot, jobs.store.breaks(team_id))
        if week is None:
            logger.info("Nothing due for %s at %s", team_id, now.isoformat())
        else:
            report = run_fanout(
                jobs.store,
                jobs.progression,
                jobs.client,
                team_id,
                week,
                now,
                owner=jobs.owner,
                concurrency=jobs.concurrency,
                limits=jobs.limits or workspace_limits(jobs.settings.progression_posts_per_minute),
                clock=jobs.clock,
            )
        failed = False
    except FanoutRunning as error:
        # Another process is delivering it; look again in a few minutes in case it dies.
        logger.info("Nudges for %s not run here: %s", team_id, error)
        failed, running = False, True
    finally:
        # Armed even when the run failed (a failed run is tried again later this week), so
        # one bad run does not stop a workspace's nudges.
        retry = failed or running or (report is not None and report.needs_retry)
        arm(jobs, team_id, now, retry=retry)
        jobs.store.release()  # this scheduler thread's connection
    return report


def arm(
    jobs: NudgeJobs,
    team_id: str,
    now: datetime,
    *,
    retry: bool = False,
    catch_up: bool = False,
) -> datetime:
    """Arm the workspace's job at its next slot after `now` (or a retry later this week; or
    now, with `catch_up`, when this week's slot has passed). Always arms something."""
    try:
        at = _next_run(jobs, team_id, now, retry=retry, catch_up=catch_up)
    except CalendarError as error:
        at = now + NO_SLOT_RECHECK
        logger.warning(
            "No nudge ahead for %s (%s); looking again at %s", team_id, error, at.isoformat()
        )
    except Exception:
        at = now + jobs.arm_retry_delay
        logger.exception(
            "Arming the nudges of %s failed; trying again at %s", team_id, at.isoformat()
        )
    _add(jobs, team_id, at)
    logger.info("Next nudge run for %s at %s", team_id, at.isoformat())
    return at


def _next_run(
    jobs: NudgeJobs, team_id: str, now: datetime, *, retry: bool, catch_up: bool
) -> datetime:
    slot = workspace_slot(jobs.store, team_id, jobs.settings.progression_tz)
    breaks = jobs.store.breaks(team_id)
    if catch_up and (week := due_week(now, slot, breaks)) is not None:
        if _undelivered(jobs.store, team_id, week):
            return now
    _week, at = next_slot(now, slot, breaks)
    if retry:
        sooner = now + jobs.retry_delay
        if sooner < at and week_of(sooner, slot.timezone) == week_of(now, slot.timezone):
            at = sooner
    return at


def _undelivered(store: Store, team_id: str, week: str) -> bool:
    """Some active channel has not had `week`'s nudge (so a catch-up run has work)."""
    delivered = store.delivered_channels(team_id, week)
    return any(
        s.active and s.first_week <= week and s.channel_id not in delivered
        for s in store.subscriptions(team_id)
    )


class SlotTrigger(DateTrigger):
    """Fires once, when the app's clock reaches `slot`.

    APScheduler waits on real time, while `slot` is on the app's clock, which may run ahead of
    or behind real time (a shifted clock in tests, a local workspace that jumps): the trigger
    fires after `slot - clock()` of real time from now."""

    def __init__(self, slot: datetime, clock: Callable[[], datetime]) -> None:
        self.slot = slot
        super().__init__(run_date=datetime.now(UTC) + (slot - clock()))


def _add(jobs: NudgeJobs, team_id: str, at: datetime) -> None:
    jobs.scheduler.add_job(
        run_nudge_job,
        SlotTrigger(at, jobs.clock),
        args=[jobs, team_id],
        id=job_id(team_id),
        name=f"weekly nudges for {team_id}",
        replace_existing=True,
    )
