"""One week's fan-out for one workspace: every active role channel gets its nudge once.

Never twice: each channel's (team, channel, week) is claimed in the store right before its post
(a unique key, so two processes cannot both claim it), confirmed with the message `ts` after,
and released only when Slack surely did not post. Never silently missed: whatever was released
is posted by the next run, and a claim left `sending` by a process that died is settled as
`unconfirmed` and shown to managers instead of being posted again.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from slack_sdk import WebClient

from progression.lookup import role_moves
from progression.model import Move, Progression
from progression.next_move import Celebration
from scheduler.limits import PostResult, SlackLimits, SlackPoster
from scheduler.plan import plan_for
from store import CELEBRATION, Store, Subscription

logger = logging.getLogger(__name__)

# Enough threads for a whole window of posts (20 a second) to leave together, with a few to spare
# for posts sleeping before a retry. A thread claims its delivery only as its post leaves.
DEFAULT_CONCURRENCY = 24
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
    "retry",  # Slack kept failing or rate-limiting: released, the next run posts it
    "deactivated",  # the channel is gone for us: marked inactive, its manager told
    "failed",  # Slack refused the message itself: released and reported
    "nothing",  # nothing to post: celebrated already, or the role has no moves
    "would_post",  # dry run
]


@dataclass(frozen=True)
class ChannelResult:
    channel_id: str
    outcome: Outcome
    ref: str | None = None  # "1.7" or "celebration"
    detail: str = ""  # the ts, Slack's error, or what a dry run would post


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
        """Channels were left for a later run of the same week."""
        return bool(self.retry)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        return counts

    def summary(self) -> str:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.counts().items()))
        return f"{self.team_id} {self.week}: {counts or 'no channels'} in {self.seconds:.1f} s"


def this_owner() -> str:
    """Who claims deliveries: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_alive(owner: str) -> bool:
    """Whether the process that claimed a delivery may still be sending it.

    Only processes on this host can be checked; another host's claims count as alive. A runner
    on another host that died is settled through its lease instead: the runner taking the
    lapsed lease over marks what its holder left `sending` as unconfirmed.
    """
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


@dataclass(frozen=True)
class NudgeMessages:
    """How a nudge and a celebration look. The app passes its Block Kit views in, so the
    fan-out needs nothing from the floor above it."""

    nudge: Callable[[Progression, Move], dict[str, Any]]
    celebration: Callable[[Progression, str, int], dict[str, Any]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_fanout(
    store: Store,
    progression: Progression,
    client: WebClient,
    team_id: str,
    week: str,
    now: datetime,
    messages: NudgeMessages,
    *,
    owner: str | None = None,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    limits: SlackLimits | None = None,
    clock: Callable[[], datetime] = utc_now,
    may_claim: Callable[[], bool] = lambda: True,
) -> FanoutReport:
    """Deliver `week`'s nudge to every active subscription of the team that has not had it.

    `may_claim` is asked before each claim: a runner that lost its lease stops claiming, so
    the runner taking over never races it for a channel."""
    started = time.monotonic()
    owner = owner or this_owner()
    if not dry_run:
        settled = store.settle_orphans(owner_is_alive)
        if settled:
            logger.warning("%d delivery(ies) left by a stopped process are unconfirmed", settled)
    report = FanoutReport(team_id, week, dry_run)
    delivered = store.delivered_channels(team_id, week)
    unconfirmed = {d.channel_id for d in store.unconfirmed(team_id) if d.week == week}
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
    delivery = _Delivery(
        store,
        progression,
        messages,
        SlackPoster(client, limits),
        week,
        now,
        owner,
        dry_run,
        clock,
        may_claim,
    )
    report.results.extend(_in_threads(delivery.deliver, due, concurrency, store))
    order = {s.channel_id: n for n, s in enumerate(store.subscriptions(team_id))}
    report.results.sort(key=lambda r: order.get(r.channel_id, len(order)))
    report.seconds = time.monotonic() - started
    logger.info("Fan-out %s", report.summary())
    return report


@dataclass
class _Delivery:
    store: Store
    progression: Progression
    messages: NudgeMessages
    poster: SlackPoster
    week: str
    now: datetime
    owner: str
    dry_run: bool
    clock: Callable[[], datetime]
    may_claim: Callable[[], bool]

    def deliver(self, subscription: Subscription) -> ChannelResult:
        team, channel = subscription.team_id, subscription.channel_id
        plan = plan_for(self.store, self.progression, subscription)
        if plan is None:
            return ChannelResult(channel, "nothing")
        if isinstance(plan, Celebration):
            moves = role_moves(self.progression, subscription.role, subscription.phases or None)
            ref, round_ = CELEBRATION, 0
            message = self.messages.celebration(self.progression, subscription.role, len(moves))
        else:
            ref, round_ = plan.move.ref, plan.round
            message = self.messages.nudge(self.progression, plan.move)
        if self.dry_run:
            return ChannelResult(channel, "would_post", ref, message["text"])
        claimed = fenced = False

        def claim() -> bool:
            # Taken only once the post has its place in Slack's limits (see SlackPoster.post).
            nonlocal claimed, fenced
            if not self.may_claim():
                fenced = True
                return False
            claimed = self.store.claim_delivery(
                team,
                channel,
                self.week,
                role=subscription.role,
                ref=ref,
                round=round_,
                owner=self.owner,
                now=self.now,
            )
            return claimed

        try:
            result = self.poster.post(channel, message, claim=claim)
        except Exception:
            if not claimed:
                raise
            # Whatever broke, the post may have left: keep the claim, never post it again.
            logger.exception("Post to %s failed unexpectedly", channel)
            result = PostResult("unknown", error="unexpected error, see the log")
        if result.kind == "not_claimed" and fenced:
            return ChannelResult(channel, "retry", ref, "not claimed: this runner lost its lease")
        if result.kind == "not_claimed":
            return ChannelResult(channel, "skipped", ref, "delivered by another run")
        return self._settle(subscription, ref, result)

    def _settle(self, subscription: Subscription, ref: str, result: PostResult) -> ChannelResult:
        team, channel = subscription.team_id, subscription.channel_id
        if result.kind == "sent" and result.ts:
            self.store.confirm_delivery(team, channel, self.week, result.ts, self.clock())
            return ChannelResult(channel, "posted", ref, result.ts)
        if result.kind == "unknown":
            self.store.mark_unconfirmed(team, channel, self.week)
            return ChannelResult(channel, "unconfirmed", ref, result.error)
        self.store.release_delivery(team, channel, self.week)
        if result.kind == "gave_up":
            logger.warning("Post to %s left for the next run: %s", channel, result.error)
            return ChannelResult(channel, "retry", ref, f"{result.error}; will retry next run")
        if result.error in GONE:
            return self._deactivate(subscription, ref, result.error)
        logger.error("Slack refused the nudge for %s: %s", channel, result.error)
        return ChannelResult(channel, "failed", ref, result.error)

    def _deactivate(self, subscription: Subscription, ref: str, error: str) -> ChannelResult:
        channel = subscription.channel_id
        first = self.store.mark_inactive(subscription.team_id, channel, error, self.clock())
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


def _in_threads(
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
                except Exception:
                    # One channel's bug must not stop the others; the claim, if any, stays.
                    logger.exception("Fan-out to %s failed", item.channel_id)
                    result = ChannelResult(item.channel_id, "failed", detail="see the log")
                with lock:
                    results.append(result)
        finally:
            store.close()

    threads = [
        threading.Thread(target=worker, name=f"fanout-{n}", daemon=True)
        for n in range(max(1, min(concurrency, count)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
