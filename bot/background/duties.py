"""`progression-bot runner`: the background work of a deployment, under the runner lease.

The weekly nudge scheduler (not with `--no-scheduler`, where cron runs `progression-bot nudge`),
the live counts and the bot-user look-ups, built from the settings
and handed to `scheduler.runner.Runner`, which runs them only while it holds the lease. `serve`
starts one beside its web workers; a deployment that splits them runs this command instead
(several of them are fine: one is active, the others stand by).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.background.bot_users import UserLookups
from bot.background.chart import draw
from bot.background.live_counts import LiveCounts
from bot.background.notices import DeliveryNotices
from bot.background.rotation import TokenRotation
from bot.observe import metrics
from bot.settings import Settings
from bot.slack.client import slack_client, workspace_clients
from bot.views import NUDGE_MESSAGES, reminder_message
from bot.views.digest import digest_message
from progression.model import Progression
from scheduler.clock import utc_now
from scheduler.digest import DigestMessages
from scheduler.fanout import FanoutContext, FanoutReport, threads_for
from scheduler.jobs import NudgeScheduler, Runs, build_scheduler, keep_fresh, stop_scheduler
from scheduler.limits import workspace_limits
from scheduler.runner import DueOncePerSeq, Duty, LeaseTimes, Runner
from store import BACKGROUND_POOL_SIZE, BACKGROUND_WRITE_WAIT_SECONDS, Store
from store.outbox import Kind, Work

logger = logging.getLogger("progression_bot.runner")

# What the digests post: the view, and the chart drawn here, in the runner, alone.
DIGEST_MESSAGES = DigestMessages(digest=digest_message, chart=draw)

# A fan-out in progress when the runner steps down or stops gets this long for the posts already
# on their way (Slack's answer, the confirmation); a post still unanswered then is settled as
# unconfirmed by the next run, never posted again.
POSTS_IN_FLIGHT_GRACE = 5.0


@dataclass
class _Arm:
    """ "arm" work: a workspace's schedule, breaks or subscriptions changed."""

    duties: AppDuties

    def ready_at(self, work: Work, now: float) -> float:
        return now

    def do(self, work: Work, now: float) -> None:
        scheduler = self.duties.scheduler
        if scheduler is not None:
            at = scheduler.rebuild(work.team_id)
            if self.duties.store.departed_at(work.team_id) is not None:
                logger.info("%s removed the app: its weekly jobs are stopped", work.team_id)
            else:
                logger.info("Re-armed %s: next nudge run at %s", work.team_id, at)


@dataclass
class _Forget:
    """ "forget" work: a workspace removed the app; once it has been gone its retention days
    (and has not come back), every row about it is deleted."""

    store: Store
    retention: timedelta
    # Pending for up to the retention days, asked at every look at the outbox; `do` reads the
    # departure again.
    _due: DueOncePerSeq = field(default_factory=DueOncePerSeq)

    def ready_at(self, work: Work, now: float) -> float:
        due = self._due.due(work.team_id, work.seq, lambda: self._forget_at(work.team_id))
        return now if due is None else max(now, due)

    def _forget_at(self, team_id: str) -> float | None:
        left = self.store.departed_at(team_id)
        return None if left is None else (left + self.retention).timestamp()

    def do(self, work: Work, now: float) -> None:
        self._due.forget(work.team_id)
        left = self.store.departed_at(work.team_id)
        if left is None:
            return  # it came back: its data is in use again
        deleted = self.store.forget_workspace(work.team_id)
        days = self.retention.days
        logger.info(
            "Deleted %s's data, %d day(s) after it removed the app: %d row(s)",
            work.team_id,
            days,
            sum(deleted.values()),
        )


class AppDuties:
    """What a runner runs, built once: the weekly scheduler on every runner (its runs take
    each workspace's own lease, so the runners share the work), the outbox on the active one."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        progression: Progression,
        *,
        clock: Callable[[], datetime] = utc_now,
        with_scheduler: bool = True,
    ) -> None:
        self.settings = settings
        self.with_scheduler = with_scheduler
        self.store = store
        self.progression = progression
        self.clock = clock
        self.may_claim: Callable[[], bool] = lambda: True
        self.scheduler: NudgeScheduler | None = None
        # Shared by the schedulers built in turn, so a new one's run of a workspace waits for
        # a stopped one's still finishing its posts in flight.
        self.runs = Runs()
        client = slack_client(settings)
        # Multi-workspace mode: each workspace's work with its installation's token.
        self.client_for = workspace_clients(settings, store) if settings.multi_workspace else None
        self.live_counts = LiveCounts(store, progression, client, client_for=self.client_for)
        self._by_kind: dict[Kind, Duty] = {
            "arm": _Arm(self),
            "count": self.live_counts,
            "user": UserLookups(store, client, clock, client_for=self.client_for),
            "notice": DeliveryNotices(store, client, settings, client_for=self.client_for),
            "forget": _Forget(store, timedelta(days=settings.progression_retention_days)),
        }
        if settings.multi_workspace:
            secret = settings.slack_client_secret
            self._by_kind["rotate"] = TokenRotation(
                store,
                slack_client(settings),
                client_id=settings.slack_client_id or "",
                client_secret=secret.get_secret_value() if secret else "",
                clock=clock,
            )

    @property
    def by_kind(self) -> Mapping[Kind, Duty]:
        return self._by_kind

    def start_shared(self) -> None:
        # What a runner that died left `sending` is settled by the next fan-out of that
        # workspace, under the workspace's own lease (scheduler/lease.py).
        if not self.with_scheduler:
            # "arm" work still comes (a schedule changed): with no scheduler it is done at once.
            logger.info("Weekly nudges are not scheduled here: run `progression-bot nudge` (cron)")
            return
        limits = workspace_limits(self.settings.progression_posts_per_minute)
        fanout = FanoutContext(
            self.store,
            self.progression,
            slack_client(self.settings),  # build_scheduler takes its retries off
            NUDGE_MESSAGES,
            limits=limits,
            concurrency=threads_for(limits),
            clock=self.clock,
            may_claim=self.may_claim,
            lease_seconds=self.settings.progression_runner_lease,
            client_for=self.client_for,
        )
        scheduler = build_scheduler(
            fanout,
            default_tz=self.settings.progression_tz,
            runs=self.runs,
            digest_messages=DIGEST_MESSAGES,
            reminder_message=reminder_message,
            observe_run=count_weekly_run,
        )
        keep_fresh(scheduler)
        scheduler.start()
        self.scheduler = scheduler
        logger.info("Weekly nudges scheduled for %d workspace(s)", len(self.store.teams()))

    def stop_shared(self) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and not stop_scheduler(scheduler, POSTS_IN_FLIGHT_GRACE):
            logger.warning(
                "A fan-out still awaits Slack's answer to posts already sent: left to finish"
            )

    def start(self, taken_from: str | None) -> None:
        """Active: the outbox's work is this runner's (the runner does it)."""

    def stop(self) -> None:
        """Standing by: the weekly work goes on, under the workspaces' own leases."""


def count_weekly_run(kind: str, report: FanoutReport) -> None:
    """A scheduled weekly run, in the metrics (a no-op unless this process counts)."""
    metrics.count_weekly_run(kind, report.counts(), report.seconds)


def build_runner(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Callable[[], datetime] = utc_now,
    times: LeaseTimes | None = None,
    with_scheduler: bool = True,
) -> Runner:
    # One Store per process: opening the database file again beside live connections (as
    # the path check does) would drop SQLite's POSIX locks on it.
    # Its writes may wait for a lock far longer than a request's.
    store = store or Store(
        settings.progression_db,
        write_wait=BACKGROUND_WRITE_WAIT_SECONDS,
        pool_size=BACKGROUND_POOL_SIZE,
    )
    duties = AppDuties(
        settings,
        store,
        settings.load_progression(),
        clock=clock,
        with_scheduler=with_scheduler,
    )
    runner = Runner(store, duties, times=times or lease_times(settings.progression_runner_lease))
    # A run claims under its workspace's lease (which fences a runner that stalled past it);
    # a runner that is stopping claims nothing more.
    duties.may_claim = lambda: not runner.stopping
    return runner


def lease_times(ttl: float) -> LeaseTimes:
    """Renewed six times per lease: a late renewal or two never loses it."""
    return LeaseTimes(renew_every=ttl / 6, ttl=ttl, poll_every=min(0.5, ttl / 6))
