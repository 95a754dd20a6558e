"""The weekly nudge jobs: one APScheduler 3.x job per workspace, armed at its next slot.

Each job is a one-off `DateTrigger` with the id `nudge:<team>`. When it fires it delivers the
week that is due (`calendar.due_week`: the current week once its slot has passed, so a run after
downtime catches up on the current week only) and arms itself again: at the next slot, or a few
minutes later in the same week when Slack left channels to retry. One-off triggers rather than a
cron trigger because the slot moves with school breaks, and a schedule or a break a manager
changes is picked up by `rebuild(team)` or at the next arming, which reads the store afresh.

The digests and the reminders are weekly jobs of the same kind (`Weekly`): `digest:<team>` at
the digest's slot, `remind:<team>:<weekday>` at the schedule's time on each weekday a channel
asked for; a kind with no slot (the digest off, no channel reminded that day) has no job.

The job store is in memory (never shared between processes): the database is the truth, and
start-up arms every workspace again with an immediate catch-up run. A workspace is never left
without a job: when arming fails (a failed read, a date the calendar cannot compute), the
failure is logged and the job is armed again a little later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from progression.calendar import CalendarError, WeeklySlot, due_week, next_slot, week_of
from scheduler.digest import DigestMessages, audiences, digest_slot, run_digest
from scheduler.fanout import FanoutContext, FanoutReport, run_fanout
from scheduler.lease import FanoutRunning
from scheduler.limits import each_without_retries, without_retries
from scheduler.notices import tell_refusals, tell_week_not_posted
from scheduler.plan import workspace_slot
from scheduler.reminders import ReminderMessage, run_reminders
from store import Store
from store.busy import unavailable_reason
from store.installations import WorkspaceNotInstalled

logger = logging.getLogger(__name__)

RETRY_DELAY = timedelta(minutes=5)  # channels Slack left (rate limits, errors, refusals)
# Channels left because of this side (the database, a lease): again as soon as it answers.
RETRY_SOON = timedelta(seconds=10)
# After a failure to arm (a failed read, say), the next try; cheap, and logged each time.
ARM_RETRY_DELAY = timedelta(minutes=1)
# Every week ahead is a break: look again daily (a manager may remove the break meanwhile,
# which re-arms at once; this is for a calendar that simply runs out).
NO_SLOT_RECHECK = timedelta(days=1)
# How often every runner reads the workspaces' slots afresh (see NudgeScheduler.refresh).
REFRESH_EVERY = timedelta(seconds=60)
# The weekly runs one runner does at once: each waits on its workspace's pace most of the time,
# so a slot with many workspaces due is done side by side (and shared with the other runners).
# 100 workspaces due together were done in 1.9x the time of one alone with 100 at once, 5.2x
# with 32 (benchmarks/many_workspaces.py, one runner); each run has only its pace's threads
# (threads_for).
RUNS_AT_ONCE = 100


def job_id(team_id: str, kind: str = "nudge") -> str:
    return f"{kind}:{team_id}"


class Runs:
    """The nudge runs going in this process, across the schedulers a runner builds in turn.

    One run per workspace at a time: a second run (re-armed for now while one was going, or a
    new scheduler's catch-up while a stopped one's run still awaits its posts in flight) waits
    for it, then finds what is left, instead of being skipped or settling its claims as
    unconfirmed while they are still on their way."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._going = 0
        self._changed = threading.Condition()

    @contextmanager
    def one_at_a_time(self, team_id: str) -> Iterator[None]:
        with self._changed:
            lock = self._locks.setdefault(team_id, threading.Lock())
            self._going += 1
        try:
            with lock:
                yield
        finally:
            with self._changed:
                self._going -= 1
                self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Until no run is going (True), or `timeout` seconds (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._going == 0, timeout)


@dataclass
class NudgeJobs:
    """What a nudge job needs; handed to each job as its argument."""

    # Its `stop` is set when the scheduler stops: runs claim nothing more, and nothing is armed
    # again. Its `clock` is the app's: jobs are armed on it.
    fanout: FanoutContext
    scheduler: BackgroundScheduler
    default_tz: str = "UTC"  # a workspace without a schedule of its own: PROGRESSION_TZ
    retry_delay: timedelta = RETRY_DELAY
    retry_soon: timedelta = RETRY_SOON
    arm_retry_delay: timedelta = ARM_RETRY_DELAY
    runs: Runs = field(default_factory=Runs)
    # The digests' and the reminders' messages; None: that kind is not scheduled.
    digest_messages: DigestMessages | None = None
    reminder_message: ReminderMessage | None = None
    # (team, channel, week) whose manager was told this week's nudge could not be posted.
    told: set[tuple[str, str, str]] = field(default_factory=set, repr=False)
    # Told of each run's report, with its kind ("nudge", "digest", "reminder"): the metrics.
    observe_run: Callable[[str, FanoutReport], None] | None = None

    @property
    def store(self) -> Store:
        return self.fanout.store


class NudgeScheduler(BackgroundScheduler):
    """A BackgroundScheduler that knows the nudge jobs, so listeners can `rebuild(team)`."""

    nudges: NudgeJobs

    def rebuild(self, team_id: str, now: datetime | None = None) -> datetime:
        """Re-arm a workspace after its schedule, breaks or subscriptions changed.

        When this week's slot is now behind (a slot moved to an earlier day, a break removed),
        the job runs at once, as `preview` says: it posts to every channel that has not had
        this week's nudge, and its claims keep the others from a second one."""
        now = now or self.nudges.fanout.clock()
        for weekly in OTHER_WEEKLY:
            arm(self.nudges, team_id, now, catch_up=True, weekly=weekly)
        return arm(self.nudges, team_id, now, catch_up=True)

    def refresh(self, now: datetime | None = None) -> None:
        """Read every workspace's slots afresh, as a runner that is not the active one must:
        the active runner re-arms its own scheduler when a schedule changes (the outbox's
        "arm" work), the others every `REFRESH_EVERY`. A job is moved only sooner: a retry or
        a takeover armed for a moment from now is kept, and a job armed too early finds
        nothing due when it fires, and arms the right time."""
        jobs = self.nudges
        now = now or jobs.fanout.clock()
        for team_id in jobs.store.teams():
            for weekly in (NUDGES, *OTHER_WEEKLY):
                _arm_if_sooner(jobs, team_id, now, weekly)


def build_scheduler(
    fanout: FanoutContext,
    *,
    default_tz: str = "UTC",
    runs: Runs | None = None,
    digest_messages: DigestMessages | None = None,
    reminder_message: ReminderMessage | None = None,
    observe_run: Callable[[str, FanoutReport], None] | None = None,
) -> NudgeScheduler:
    """The scheduler `serve` starts: every workspace gets a catch-up run now, which then arms
    the workspace's next slot. Not started: the caller starts it, and ends it with
    `stop_scheduler`. `default_tz`: the timezone of a workspace without a schedule of its own;
    `runs`: shared by the schedulers a runner builds in turn. Its runs post with `fanout`, minus
    the client's retries and with a stop of the scheduler's own."""
    scheduler = NudgeScheduler(
        timezone=UTC,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=RUNS_AT_ONCE)},
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
        # A stop of its own, which `stop_scheduler` sets.
        fanout=replace(
            fanout,
            client=without_retries(fanout.client),
            client_for=each_without_retries(fanout.client_for),
            stop=threading.Event(),
        ),
        scheduler=scheduler,
        default_tz=default_tz,
        runs=runs or Runs(),
        digest_messages=digest_messages,
        reminder_message=reminder_message,
        observe_run=observe_run,
    )
    now = fanout.clock()
    for team_id in fanout.store.teams():
        _add(scheduler.nudges, team_id, now)
        for weekly in OTHER_WEEKLY:
            arm(scheduler.nudges, team_id, now, catch_up=True, weekly=weekly)
    return scheduler


def keep_fresh(scheduler: NudgeScheduler, every: timedelta = REFRESH_EVERY) -> None:
    """Read the workspaces' slots afresh every so often (`NudgeScheduler.refresh`): what a
    runner needs that is not the one re-arming at each change."""
    scheduler.add_job(_refresh, "interval", args=[scheduler], seconds=every.total_seconds())


def _refresh(scheduler: NudgeScheduler) -> None:
    if scheduler.nudges.fanout.stop.is_set():
        return
    try:
        scheduler.refresh()
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None:
            logger.exception("Reading the workspaces' slots afresh failed")
        else:
            logger.warning("Reading the slots afresh waits for the database: %s", reason)
    finally:
        scheduler.nudges.store.release()


def stop_scheduler(scheduler: NudgeScheduler, grace: float) -> bool:
    """Stop the nudges within moments: runs claim nothing more and arm nothing, the scheduler
    shuts down, and runs in progress get `grace` seconds for the posts already on their way.
    False when some run is still awaiting Slack's answer (its claims stay `sending`, so the
    next run settles them if this process ends first).

    Not `shutdown(wait=True)`: APScheduler 3.x holds its job stores' lock while it waits for
    running jobs, and a run's last step, arming the workspace's next slot, needs that lock."""
    jobs = scheduler.nudges
    jobs.fanout.stop.set()
    if scheduler.running:
        scheduler.shutdown(wait=False)
    return jobs.runs.wait_idle(grace)


def run_nudge_job(
    jobs: NudgeJobs, team_id: str, now: datetime | None = None, weekly: Weekly | None = None
) -> FanoutReport | None:
    """The job: deliver the week due at `now`, if any, then arm the next run (the nudges, or
    another weekly kind)."""
    if jobs.fanout.stop.is_set():
        return None
    with jobs.runs.one_at_a_time(team_id):
        if jobs.fanout.stop.is_set():
            return None
        return _run_weekly_job(jobs, team_id, now or jobs.fanout.clock(), weekly or NUDGES)


def _run_weekly_job(
    jobs: NudgeJobs, team_id: str, now: datetime, weekly: Weekly
) -> FanoutReport | None:
    report: FanoutReport | None = None
    retry: timedelta | None = jobs.retry_soon  # until the run says otherwise
    try:
        slot = _slot(jobs, team_id, weekly)
        week = None if slot is None else due_week(now, slot, jobs.store.breaks(team_id))
        if week is None:
            logger.info("No %s due for %s at %s", weekly.what, team_id, now.isoformat())
        else:
            report = weekly.run(jobs, team_id, week, now)
            if jobs.observe_run is not None:
                jobs.observe_run(weekly.kind.split("-")[0], report)
            if weekly is NUDGES:
                _tell_of_refusals(jobs, report)
        retry = _retry_after(jobs, report)
    except FanoutRunning as error:
        # Another process is posting there; look again once its lease would have lapsed, in
        # case it died (on another host, only its lapsing lease says so).
        logger.info("The %s of %s not run here: %s", weekly.what, team_id, error)
        retry = timedelta(seconds=jobs.fanout.lease_seconds)
    except WorkspaceNotInstalled as error:
        # Multi-workspace mode: no token to post with; tried again later, in one line.
        logger.warning("The %s of %s not run: %s", weekly.what, team_id, error)
        retry = jobs.retry_delay
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None:
            logger.exception("The %s run for %s failed", weekly.what, team_id)
            retry = jobs.retry_delay
        else:
            what = weekly.what
            logger.warning("The %s run for %s waits for the database: %s", what, team_id, reason)
    finally:
        # Armed even when the run failed (a failed run is tried again later this week), so
        # one bad run does not stop a workspace's weekly posts.
        week_over = _arm_after_run(jobs, team_id, now, retry, weekly)
        if week_over and weekly is NUDGES and report is not None and report.left:
            _tell_of_a_week_not_posted(jobs, report)
        jobs.store.release()  # this scheduler thread's connection
    return report


def _tell_of_refusals(jobs: NudgeJobs, report: FanoutReport) -> None:
    try:
        tell_refusals(jobs.store, jobs.fanout.client_of(report.team_id), report, jobs.told)
    except Exception as error:  # telling must never stop the arming that follows
        logger.warning("Could not tell the managers of %s: %s", report.team_id, error)


def _tell_of_a_week_not_posted(jobs: NudgeJobs, report: FanoutReport) -> None:
    try:
        tell_week_not_posted(jobs.store, jobs.fanout.client_of(report.team_id), report)
    except Exception as error:
        logger.warning("Could not tell the managers of %s: %s", report.team_id, error)


def _retry_after(jobs: NudgeJobs, report: FanoutReport | None) -> timedelta | None:
    """When to run again this week: soon for what waits on this side, in a few minutes for
    what Slack left; None when the week is done."""
    if report is None or not report.needs_retry:
        return None
    return jobs.retry_soon if report.retry_soon else jobs.retry_delay


def _arm_after_run(
    jobs: NudgeJobs, team_id: str, now: datetime, retry: timedelta | None, weekly: Weekly
) -> bool:
    """Arm the next run; True when a week with channels left ends here (no retry fits in it
    any more)."""
    at = arm(jobs, team_id, now, retry=retry, weekly=weekly)
    return retry is not None and not jobs.fanout.stop.is_set() and at > now + retry


def arm(
    jobs: NudgeJobs,
    team_id: str,
    now: datetime,
    *,
    retry: timedelta | None = None,
    catch_up: bool = False,
    weekly: Weekly | None = None,
) -> datetime:
    """Arm the workspace's job (its nudges, or `weekly`) at its next slot after `now` (or
    `retry` from now, while that is still this week; or now, with `catch_up`, when this week's
    slot has passed and something is left). Always arms something, unless the scheduler is
    stopping or the kind has no slot (then its job, if any, is removed)."""
    weekly = weekly or NUDGES
    if jobs.fanout.stop.is_set():
        return now
    try:
        slot = _slot(jobs, team_id, weekly)
        if slot is None:
            _remove(jobs, team_id, weekly)
            return now
        at = _next_run(jobs, weekly, slot, team_id, now, retry=retry, catch_up=catch_up)
    except CalendarError as error:
        at = now + NO_SLOT_RECHECK
        what, when = weekly.kind.split("-")[0], at.isoformat()
        logger.warning("No %s ahead for %s (%s); looking again at %s", what, team_id, error, when)
    except Exception:
        at = now + jobs.arm_retry_delay
        logger.exception(
            "Arming the %s of %s failed; trying again at %s", weekly.what, team_id, at.isoformat()
        )
    _add(jobs, team_id, at, weekly)
    logger.info("Next %s run for %s at %s", weekly.kind.split("-")[0], team_id, at.isoformat())
    return at


def _slot(jobs: NudgeJobs, team_id: str, weekly: Weekly) -> WeeklySlot | None:
    """When the kind goes out in the workspace; None for a workspace that removed the app (its
    jobs go, and no call is made with its dead token, until it comes back)."""
    if jobs.store.departed_at(team_id) is not None:
        return None
    return weekly.slot(jobs, team_id)


def _arm_if_sooner(jobs: NudgeJobs, team_id: str, now: datetime, weekly: Weekly) -> None:
    slot = _slot(jobs, team_id, weekly)
    if slot is None:
        return
    _week, at = next_slot(now, slot, jobs.store.breaks(team_id))
    job = jobs.scheduler.get_job(job_id(team_id, weekly.kind))
    if job is not None and isinstance(job.trigger, SlotTrigger) and job.trigger.slot <= at:
        return
    _add(jobs, team_id, at, weekly)


def _next_run(
    jobs: NudgeJobs,
    weekly: Weekly,
    slot: WeeklySlot,
    team_id: str,
    now: datetime,
    *,
    retry: timedelta | None,
    catch_up: bool,
) -> datetime:
    breaks = jobs.store.breaks(team_id)
    if catch_up and (week := due_week(now, slot, breaks)) is not None:
        if weekly.undone(jobs, team_id, week):
            return now
    _week, at = next_slot(now, slot, breaks)
    if retry is not None:
        sooner = now + retry
        if sooner < at and week_of(sooner, slot.timezone) == week_of(now, slot.timezone):
            at = sooner
    return at


def _undelivered(jobs: NudgeJobs, team_id: str, week: str) -> bool:
    """Some active channel has not had `week`'s nudge (so a catch-up run has work)."""
    store = jobs.store
    delivered = store.delivered_channels(team_id, week)
    return any(
        s.active and s.first_week <= week and s.channel_id not in delivered
        for s in store.subscriptions(team_id)
    )


@dataclass(frozen=True)
class Weekly:
    """A kind of weekly job: when it comes (None: not at all), what it does for a week, and
    whether a week is not done yet (so that a catch-up run has work)."""

    kind: str  # its job id's prefix: "nudge", "digest", "reminder-3"
    what: str  # in the log: "nudges", "digest", "reminders"
    slot: Callable[[NudgeJobs, str], WeeklySlot | None]
    run: Callable[[NudgeJobs, str, str, datetime], FanoutReport]
    undone: Callable[[NudgeJobs, str, str], bool]


NUDGES = Weekly(
    "nudge",
    "nudges",
    lambda jobs, team: workspace_slot(jobs.store, team, jobs.default_tz),
    lambda jobs, team, week, now: run_fanout(jobs.fanout, team, week, now),
    _undelivered,
)


def _digest_slot(jobs: NudgeJobs, team_id: str) -> WeeklySlot | None:
    if jobs.digest_messages is None:
        return None
    return digest_slot(jobs.store, team_id, jobs.default_tz)


def _run_digest(jobs: NudgeJobs, team_id: str, week: str, now: datetime) -> FanoutReport:
    assert jobs.digest_messages is not None
    messages = jobs.digest_messages
    return run_digest(jobs.fanout, team_id, week, now, messages, default_tz=jobs.default_tz)


def _digest_undone(jobs: NudgeJobs, team_id: str, week: str) -> bool:
    posted = {p.channel_id for p in jobs.store.weekly_posts("digest", team_id, week)}
    targets = audiences(jobs.store.subscriptions(team_id))
    return any(s.channel_id not in posted for s, _ in targets)


DIGESTS = Weekly("digest", "digest", _digest_slot, _run_digest, _digest_undone)


def reminders_on(weekday: int) -> Weekly:
    """The reminders of the channels that asked for `weekday`, at the schedule's time."""

    def slot(jobs: NudgeJobs, team_id: str) -> WeeklySlot | None:
        if jobs.reminder_message is None or not any(
            s.active and s.remind_weekday == weekday for s in jobs.store.subscriptions(team_id)
        ):
            return None
        nudges = workspace_slot(jobs.store, team_id, jobs.default_tz)
        return WeeklySlot(weekday, nudges.at, nudges.timezone)

    def run(jobs: NudgeJobs, team_id: str, week: str, now: datetime) -> FanoutReport:
        assert jobs.reminder_message is not None
        message, tz = jobs.reminder_message, jobs.default_tz
        return run_reminders(
            jobs.fanout, team_id, week, now, message, weekday=weekday, default_tz=tz
        )

    def undone(jobs: NudgeJobs, team_id: str, week: str) -> bool:
        sent = {p.channel_id for p in jobs.store.weekly_posts("reminder", team_id, week)}
        return any(
            s.active and s.remind_weekday == weekday and s.channel_id not in sent
            for s in jobs.store.subscriptions(team_id)
        )

    return Weekly(f"reminder-{weekday}", "reminders", slot, run, undone)


REMINDERS = tuple(reminders_on(weekday) for weekday in range(7))


# Besides the nudges: the digests and the reminders, armed at start-up and by `rebuild`.
OTHER_WEEKLY = (DIGESTS, *REMINDERS)


class SlotTrigger(DateTrigger):
    """Fires once, when the app's clock reaches `slot`.

    APScheduler waits on real time, while `slot` is on the app's clock, which may run ahead of
    or behind real time (a shifted clock in tests, a local workspace that jumps): the trigger
    fires after `slot - clock()` of real time from now."""

    def __init__(self, slot: datetime, clock: Callable[[], datetime]) -> None:
        self.slot = slot
        super().__init__(run_date=datetime.now(UTC) + (slot - clock()))


def _add(jobs: NudgeJobs, team_id: str, at: datetime, weekly: Weekly | None = None) -> None:
    weekly = weekly or NUDGES
    jobs.scheduler.add_job(
        run_nudge_job,
        SlotTrigger(at, jobs.fanout.clock),
        args=[jobs, team_id, None, weekly],
        id=job_id(team_id, weekly.kind),
        name=f"weekly {weekly.what} for {team_id}",
        replace_existing=True,
    )


def _remove(jobs: NudgeJobs, team_id: str, weekly: Weekly) -> None:
    if jobs.scheduler.get_job(job_id(team_id, weekly.kind)) is not None:
        jobs.scheduler.remove_job(job_id(team_id, weekly.kind))
