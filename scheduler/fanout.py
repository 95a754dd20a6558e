"""One week's fan-out for one workspace: every active role channel gets its nudge once.

Never twice: each channel's (team, channel, week) is claimed in the store right before its post
(a unique key, so two processes cannot both claim it), confirmed with the message `ts` after,
and released only when Slack surely did not post. Never silently missed: whatever was released
is posted by the next run, and a claim left `sending` by a process that died is settled as
`unconfirmed` and shown to managers instead of being posted again.

One run per workspace at a time: a run holds the workspace's lease in the store (see
scheduler/lease.py), so the workspace's pace holds however many processes or hosts run it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from slack_sdk import WebClient

from progression.lookup import role_moves
from progression.model import Move, Progression
from progression.next_move import Celebration
from scheduler.clock import utc_now
from scheduler.lease import LEASE_SECONDS, FanoutLease, this_owner
from scheduler.limits import PostResult, SlackLimits, SlackPoster, posts_per_window
from scheduler.plan import plan_for
from store import CELEBRATION, Delivery, Store, Subscription
from store.busy import unavailable_reason

logger = logging.getLogger(__name__)

# Enough threads for a whole window of posts (20 a second) to leave together, with a few to spare
# for posts sleeping before a retry. A thread claims its delivery only as its post leaves.
DEFAULT_CONCURRENCY = 24


def threads_for(limits: SlackLimits) -> int:
    """The threads one workspace's run needs at its pace: one window of posts leaving together
    (see WorkspacePacer), at least 2 so that a post sleeping before a retry does not hold the
    others up, at most DEFAULT_CONCURRENCY. More only cost a runner posting to many workspaces
    at once CPU, on threads that wait: in benchmarks/many_workspaces.py (100 workspaces at 300
    posts a minute), 5 threads a workspace were done in 5.8 s where 10 took 8.4, with Slack
    answering in 0.2 s, and used half the CPU."""
    return max(2, min(DEFAULT_CONCURRENCY, posts_per_window(limits)))


# Recording a post's ts again after a failed write (a full disk may clear), then giving up:
# the delivery is left unconfirmed, its ts in the log, and never posted again.
CONFIRM_RETRIES = (0.2, 1.0, 3.0)
# Slack's answers that mean the channel is gone for us: stop nudging it and tell its manager.
GONE = {
    "channel_not_found": (
        "the channel was deleted, or it is private and the app is not in it",
        "invite the app with `/invite @progression` in the channel, then run "
        "`/progression subscribe {command}` there again",
    ),
    "not_in_channel": (
        "the app is not a member of the channel",
        "invite the app with `/invite @progression` in the channel, then run "
        "`/progression subscribe {command}` there again",
    ),
    "is_archived": (
        "the channel is archived",
        "unarchive it and run `/progression subscribe {command}` there again, "
        "or subscribe another channel",
    ),
    "channel_is_archived": (
        "the channel is archived",
        "unarchive it and run `/progression subscribe {command}` there again, "
        "or subscribe another channel",
    ),
}

Outcome = Literal[
    "posted",  # confirmed with its ts
    "skipped",  # already delivered this week (or being delivered by another run)
    "unconfirmed",  # sent, but whether Slack has it is unknown: shown, never re-posted
    "retry",  # not posted (Slack kept failing, the database, a lease): a later run this week
    "deactivated",  # the channel is gone for us: marked inactive, its manager told
    "failed",  # Slack refused the message itself: released, reported, tried again this week
    "nothing",  # nothing to post: celebrated already, or the role has no moves
    "would_post",  # dry run
]


# Why a channel was left for a later run: Slack (rate limits, errors: worth a few minutes' wait),
# or this side (the database, a lease lost, a stop): tried again as soon as the run can be.
SLACK, HERE = "slack", "here"


@dataclass(frozen=True)
class ChannelResult:
    channel_id: str
    outcome: Outcome
    ref: str | None = None  # "1.7" or "celebration"
    detail: str = ""  # the ts, Slack's error, or what a dry run would post
    cause: str = SLACK  # for "retry": SLACK or HERE


@dataclass
class FanoutReport:
    team_id: str
    week: str
    dry_run: bool = False
    results: list[ChannelResult] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, outcome: Outcome) -> list[ChannelResult]:
        return [r for r in self.results if r.outcome == outcome]

    @property
    def posted(self) -> list[ChannelResult]:
        return self.of("posted")

    @property
    def skipped(self) -> list[ChannelResult]:
        return self.of("skipped")

    @property
    def unconfirmed(self) -> list[ChannelResult]:
        return self.of("unconfirmed")

    @property
    def retry(self) -> list[ChannelResult]:
        return self.of("retry")

    @property
    def deactivated(self) -> list[ChannelResult]:
        return self.of("deactivated")

    @property
    def failed(self) -> list[ChannelResult]:
        return self.of("failed")

    @property
    def needs_retry(self) -> bool:
        """Channels were left for a later run of the same week: the week is not done until
        every channel was posted, left unconfirmed or made inactive."""
        return bool(self.retry or self.failed)

    @property
    def retry_soon(self) -> bool:
        """Some channel waits on this side (the database, a lease), not on Slack: the next
        run should come as soon as the database answers again."""
        return any(r.cause == HERE for r in self.retry)

    @property
    def left(self) -> list[ChannelResult]:
        """The channels not posted this week, so far."""
        return self.retry + self.failed

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        return counts

    def summary(self) -> str:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.counts().items()))
        return f"{self.team_id} {self.week}: {counts or 'no channels'} in {self.seconds:.1f} s"


@dataclass(frozen=True)
class NudgeMessages:
    """How a nudge and a celebration look. The app passes its Block Kit views in, so the
    fan-out needs nothing from the floor above it."""

    nudge: Callable[[Progression, Move], dict[str, Any]]
    celebration: Callable[[Progression, str, int], dict[str, Any]]


@dataclass(frozen=True)
class FanoutContext:
    """What a runner's or a `nudge` command's fan-outs run with, whatever the workspace and week.

    `client` has no retry handlers of its own (`scheduler.limits.without_retries`): the poster
    decides what to retry. `may_claim` is asked before each claim too: a runner that lost the
    runner lease stops claiming, and leaves the rest to the runner taking over. `stop`, once
    set, ends a run within moments: nothing more is claimed, no wait (Slack's limits, a retry's
    backoff) goes on, and only the posts already on their way are awaited. `lease_seconds`: how
    long the workspace's fan-out lease lasts unrenewed, so how soon another host may take a
    dead run over (the runner lease's length).
    """

    store: Store
    progression: Progression
    client: WebClient
    messages: NudgeMessages
    owner: str = field(default_factory=this_owner)
    limits: SlackLimits = field(default_factory=SlackLimits)
    concurrency: int = DEFAULT_CONCURRENCY
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    may_claim: Callable[[], bool] = lambda: True
    stop: threading.Event = field(default_factory=threading.Event)
    lease_seconds: float = LEASE_SECONDS
    # Multi-workspace mode: each workspace's client, with its installation's token; None: the
    # one `client` serves the one workspace.
    client_for: Callable[[str], WebClient] | None = None

    def client_of(self, team_id: str) -> WebClient:
        """The client for work in the workspace `team_id`."""
        return self.client_for(team_id) if self.client_for is not None else self.client


def run_fanout(
    context: FanoutContext, team_id: str, week: str, now: datetime, *, dry_run: bool = False
) -> FanoutReport:
    """Deliver `week`'s nudge to every active subscription of the team that has not had it.

    Raises `FanoutRunning` when another run holds the workspace's lease (dry runs need none).
    """
    started = time.monotonic()
    store = context.store
    if context.sleep is time.sleep:
        context = replace(context, sleep=cut_short_by(context.stop))
    # A run with nothing to post (or to settle) takes no lease, so it never stands in another
    # run's way: an operator's `nudge` for next week while the scheduler finds this week done.
    left = [] if dry_run else store.unconfirmed(team_id)
    needs_lease = not dry_run and (
        any(d.state == "sending" for d in left)  # a dead run's claims
        or bool(_plan(store, team_id, week, left, FanoutReport(team_id, week)))
    )
    lease = (
        FanoutLease(store, team_id, context.owner, context.clock, seconds=context.lease_seconds)
        if needs_lease
        else None
    )
    with lease if lease is not None else nullcontext():
        if lease is not None:
            settled = store.settle_orphans(team_id)
            if settled:
                logger.warning("%d delivery(ies) left by an earlier run are unconfirmed", settled)
        report = FanoutReport(team_id, week, dry_run)
        # Again, under the lease: what it settled, and what another run did meanwhile.
        due = _plan(store, team_id, week, store.unconfirmed(team_id), report)
        poster = SlackPoster(
            context.client_of(team_id),
            context.limits,
            sleep=context.sleep,
            stopped=context.stop.is_set,
        )
        claims = DeliveryClaims(store, team_id, week, context.owner, now)
        delivery = _Delivery(context, Sender(context, poster, claims, lease), dry_run)
        report.results.extend(in_threads(delivery.deliver, due, context.concurrency, store))
    order = {s.channel_id: n for n, s in enumerate(store.subscriptions(team_id))}
    report.results.sort(key=lambda r: order.get(r.channel_id, len(order)))
    report.seconds = time.monotonic() - started
    logger.info("Fan-out %s", report.summary())
    return report


def cut_short_by(stop: threading.Event) -> Callable[[float], None]:
    """A sleep that a stop ends at once."""

    def sleep(seconds: float) -> None:
        stop.wait(seconds)

    return sleep


def _plan(
    store: Store, team_id: str, week: str, left: list[Delivery], report: FanoutReport
) -> list[Subscription]:
    """The subscriptions that have not had `week` yet; the others go in `report` as they are
    (`left`: the workspace's unconfirmed deliveries)."""
    delivered = store.delivered_channels(team_id, week)
    unconfirmed = {d.channel_id for d in left if d.week == week}
    due: list[Subscription] = []
    for subscription in store.subscriptions(team_id):
        if not subscription.active or subscription.first_week > week:
            continue
        channel = subscription.channel_id
        if channel in unconfirmed:
            report.results.append(ChannelResult(channel, "unconfirmed", detail="left by a crash"))
        elif channel in delivered:
            report.results.append(ChannelResult(channel, "skipped"))
        else:
            due.append(subscription)
    return due


class Claims(Protocol):
    """One week's claims on a workspace's channels: a nudge's deliveries, or a digest's or a
    reminder's weekly posts. Claimed right before the post, confirmed with its ts after,
    released only when Slack surely did not take it, left unconfirmed when it may have."""

    def claim(self, subscription: Subscription, ref: str, round_: int) -> bool: ...
    def confirm(self, channel: str, ts: str, now: datetime) -> None: ...
    def release(self, channel: str) -> None: ...
    def mark_unconfirmed(self, channel: str, ts: str | None = None) -> None: ...
    def done(self) -> set[str]: ...


@dataclass(frozen=True)
class DeliveryClaims:
    """The nudges' claims: the deliveries of (team, channel, week)."""

    store: Store
    team_id: str
    week: str
    owner: str
    now: datetime

    def claim(self, subscription: Subscription, ref: str, round_: int) -> bool:
        return self.store.claim_delivery(
            self.team_id,
            subscription.channel_id,
            self.week,
            role=subscription.role,
            ref=ref,
            round=round_,
            owner=self.owner,
            now=self.now,
        )

    def confirm(self, channel: str, ts: str, now: datetime) -> None:
        self.store.confirm_delivery(self.team_id, channel, self.week, ts, now)

    def release(self, channel: str) -> None:
        self.store.release_delivery(self.team_id, channel, self.week)

    def mark_unconfirmed(self, channel: str, ts: str | None = None) -> None:
        self.store.mark_unconfirmed(self.team_id, channel, self.week, ts=ts)

    def done(self) -> set[str]:
        return self.store.delivered_channels(self.team_id, self.week)


@dataclass
class Sender:
    """Posts one message to a channel under a claim, and settles the claim by Slack's answer
    (`ChannelResult`): the part of a fan-out that every weekly post shares."""

    context: FanoutContext
    poster: SlackPoster
    claims: Claims
    lease: FanoutLease | None
    what: str = "nudge"  # for the log: "nudge", "digest", "reminder"

    @property
    def store(self) -> Store:
        return self.context.store

    def send(
        self, subscription: Subscription, ref: str, message: dict[str, Any], round_: int = 0
    ) -> ChannelResult:
        channel = subscription.channel_id
        claimed = False
        fenced = ""  # why this run may not claim: the channel is left for a later run

        def claim() -> bool:
            # Taken only once the post has its place in Slack's limits (see SlackPoster.post).
            nonlocal claimed, fenced
            if self.lease is not None and not self.lease.held:
                fenced = "this run lost the workspace's fan-out lease"
                return False
            if not self.context.may_claim() or self.context.stop.is_set():
                fenced = "this runner lost its lease or is stopping"
                return False
            if self.store.departed_at(subscription.team_id) is not None:
                fenced = "the workspace removed the app"  # its token is dead: no call
                return False
            claimed = self.claims.claim(subscription, ref, round_)
            return claimed

        try:
            result = self.poster.post(channel, message, claim=claim)
        except Exception as error:
            if not claimed:
                reason = unavailable_reason(error)
                if reason is None:
                    raise
                # The claim could not be written: nothing was sent, a later run posts it.
                return ChannelResult(channel, "retry", ref, f"database: {reason}", HERE)
            # Whatever broke, the post may have left: keep the claim, never post it again.
            logger.exception("Post to %s failed unexpectedly", channel)
            result = PostResult("unknown", error="unexpected error, see the log")
        if result.kind == "not_claimed" and fenced:
            return self._fenced(channel, ref, fenced)
        if result.kind == "not_claimed":
            return ChannelResult(channel, "skipped", ref, "delivered by another run")
        if result.kind == "stopped":
            if claimed:  # a post between retries: Slack surely has nothing of it
                self.claims.release(channel)
            return ChannelResult(channel, "retry", ref, "not posted: the run stopped", HERE)
        return self._settle(subscription, ref, result)

    def _fenced(self, channel: str, ref: str, why: str) -> ChannelResult:
        """Not claimed because this run may no longer claim: posted by the run that took over,
        or left for a later run (never counted as delivered when it was not)."""
        try:
            delivered = channel in self.claims.done()
        except Exception as error:
            if unavailable_reason(error) is None:
                raise
            delivered = False
        if delivered:
            return ChannelResult(channel, "skipped", ref, "delivered by another run")
        return ChannelResult(channel, "retry", ref, f"not claimed: {why}", HERE)

    def _settle(self, subscription: Subscription, ref: str, result: PostResult) -> ChannelResult:
        channel = subscription.channel_id
        if result.kind == "sent" and result.ts:
            return self._confirm(channel, ref, result.ts)
        if result.kind == "unknown":
            self.claims.mark_unconfirmed(channel)
            return ChannelResult(channel, "unconfirmed", ref, result.error)
        self.claims.release(channel)
        if result.kind == "gave_up":
            logger.warning("Post to %s left for the next run: %s", channel, result.error)
            return ChannelResult(channel, "retry", ref, f"{result.error}; will retry next run")
        if result.error in GONE:
            return self._deactivate(subscription, ref, result.error)
        logger.error("Slack refused the %s for %s: %s", self.what, channel, result.error)
        return ChannelResult(channel, "failed", ref, result.error)

    def _confirm(self, channel: str, ref: str, ts: str) -> ChannelResult:
        """Record the post's ts; Slack has the post, so whatever happens it is never sent
        again: a write that keeps failing leaves the claim unconfirmed, its ts logged."""
        for delay in (*CONFIRM_RETRIES, None):
            try:
                self.claims.confirm(channel, ts, self.context.clock())
                return ChannelResult(channel, "posted", ref, ts)
            except Exception as error:
                failure = error
                if delay is not None:
                    logger.warning(
                        "Recording the post to %s (ts %s) failed: %s; again in %.1f s",
                        channel,
                        ts,
                        error,
                        delay,
                    )
                    self.context.sleep(delay)
        logger.error(
            "Slack posted %s's %s (ts %s) but recording it failed: %s; it is left unconfirmed "
            "and will not be posted again",
            channel,
            self.what,
            ts,
            failure,
        )
        try:
            self.claims.mark_unconfirmed(channel, ts=ts)
        except Exception:
            # Still `sending`: shown as unconfirmed once this run ends, settled by the next.
            logger.exception("Marking %s's %s (ts %s) unconfirmed failed", channel, self.what, ts)
        return ChannelResult(channel, "unconfirmed", ref, f"posted as {ts}, not recorded")

    def _deactivate(self, subscription: Subscription, ref: str, error: str) -> ChannelResult:
        channel = subscription.channel_id
        first = self.store.mark_inactive(subscription.team_id, channel, error, self.context.clock())
        detail = error
        if first:
            told = self.poster.post(subscription.subscribed_by, gone_message(subscription, error))
            if told.kind != "sent":
                logger.warning(
                    "Could not tell %s that %s is gone: %s",
                    subscription.subscribed_by,
                    channel,
                    told.error,
                )
                detail = f"{error}; manager not told ({told.error})"
            else:
                detail = f"{error}; told {subscription.subscribed_by}"
        return ChannelResult(channel, "deactivated", ref, detail)


@dataclass
class _Delivery:
    """A channel's nudge of the week: which move it gets, sent by the `Sender`."""

    context: FanoutContext
    sender: Sender
    dry_run: bool

    def deliver(self, subscription: Subscription) -> ChannelResult:
        channel = subscription.channel_id
        store, progression = self.context.store, self.context.progression
        messages = self.context.messages
        plan = plan_for(store, progression, subscription)
        if plan is None:
            return ChannelResult(channel, "nothing")
        if isinstance(plan, Celebration):
            moves = role_moves(progression, subscription.role, subscription.phases or None)
            ref, round_ = CELEBRATION, 0
            message = messages.celebration(progression, subscription.role, len(moves))
        else:
            ref, round_ = plan.move.ref, plan.round
            message = messages.nudge(progression, plan.move)
        if self.dry_run:
            return ChannelResult(channel, "would_post", ref, message["text"])
        return self.sender.send(subscription, ref, message, round_)


def gone_message(subscription: Subscription, error: str) -> dict[str, Any]:
    """The DM to the manager who subscribed a channel Slack no longer lets us post to."""
    reason, fix = GONE[error]
    command = subscription.role
    if subscription.phases:
        command += " phase " + ",".join(str(p) for p in subscription.phases)
    text = (
        f":warning: I could not post this week's {subscription.role} nudge to "
        f"<#{subscription.channel_id}>: {reason} (Slack said `{error}`). "
        f"I stopped nudging it. To fix it: {fix.format(command=command)}."
    )
    return {"text": text}


def in_threads(
    work: Callable[[Subscription], ChannelResult],
    items: Iterable[Subscription],
    concurrency: int,
    store: Store,
) -> list[ChannelResult]:
    """Run `work` over `items` on `concurrency` threads; each thread closes its connection."""
    todo: queue.SimpleQueue[Subscription] = queue.SimpleQueue()
    count = 0
    for item in items:
        todo.put(item)
        count += 1
    results: list[ChannelResult] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            while True:
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    result = work(item)
                except Exception as error:
                    # One channel's trouble must not stop the others; the claim, if any, stays.
                    reason = unavailable_reason(error)
                    if reason is None:
                        logger.exception("Fan-out to %s failed", item.channel_id)
                        result = ChannelResult(item.channel_id, "failed", detail="see the log")
                    else:
                        logger.warning("Fan-out to %s waits: %s", item.channel_id, reason)
                        result = ChannelResult(
                            item.channel_id, "retry", detail=f"database: {reason}", cause=HERE
                        )
                with lock:
                    results.append(result)
        finally:
            store.release()  # this worker thread's connection

    threads = [
        threading.Thread(target=worker, name=f"fanout-{n}", daemon=True)
        for n in range(max(1, min(concurrency, count)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
