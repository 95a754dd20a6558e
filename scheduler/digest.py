"""The weekly digest's run for one workspace: each campus's leader channels get that campus's
digest, each systems channel the district's, with the chart uploaded after it.

The same guarantees as the nudges: each (channel, week) is claimed before it is posted and
confirmed after (`weekly_posts`, kind "digest"; the chart is a claim of its own, "chart"),
never twice, never silently missed (what is left is tried again that week), no digest in a week
with no school day, and inside the workspace's pace under the workspace's fan-out lease, which
the nudges hold too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from datetime import time as clock_time
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError

from progression.calendar import SchoolBreak, WeeklySlot, slot_in_week
from progression.campus import DISTRICT, propose_campus
from progression.digest import ChannelStanding, Digest, build_digest, school_weeks
from progression.model import Progression
from scheduler.fanout import (
    ChannelResult,
    FanoutContext,
    FanoutReport,
    Sender,
    cut_short_by,
    in_threads,
)
from scheduler.lease import FanoutLease
from scheduler.limits import SlackPoster, Stopped, acquire_post, retry_after
from scheduler.plan import workspace_slot
from store import Store, Subscription
from store.digests import PostKind

logger = logging.getLogger(__name__)

DEFAULT_DIGEST_WEEKDAY = 4  # Friday
DEFAULT_DIGEST_AT = clock_time(14, 0)
LEADER, SYSTEMS = "leader", "systems"  # the role keys whose channels get digests
# What Slack said of a channel (its name, its people) is asked again after this long.
CHANNEL_FRESH_SECONDS = 20 * 3600.0
LOOKUP_ATTEMPTS = 3


class Chart(Protocol):
    """A drawn chart: a PNG, its title, and what it shows in words."""

    @property
    def png(self) -> bytes: ...
    @property
    def title(self) -> str: ...
    @property
    def alt_text(self) -> str: ...


@dataclass(frozen=True)
class DigestMessages:
    """How a digest looks, and its picture: the app's views, handed in (this floor imports
    nothing from the one above)."""

    digest: Callable[[Progression, Digest], dict[str, Any]]
    chart: Callable[[Digest, Progression], Chart] | None = None


def digest_slot(store: Store, team_id: str, default_timezone: str) -> WeeklySlot | None:
    """When the workspace's digest goes out (Friday 14:00 unless a manager said otherwise),
    in the workspace's timezone; None when a manager turned it off."""
    timezone = workspace_slot(store, team_id, default_timezone).timezone
    own = store.digest_schedule(team_id)
    if own is None:
        return WeeklySlot(DEFAULT_DIGEST_WEEKDAY, DEFAULT_DIGEST_AT, timezone)
    if not own.enabled:
        return None
    return WeeklySlot(own.weekday, clock_time.fromisoformat(own.at), timezone)


@dataclass(frozen=True)
class PostClaims:
    """A digest's, a chart's or a reminder's claims: the weekly posts of (kind, team, week)."""

    store: Store
    kind: PostKind
    team_id: str
    week: str
    owner: str
    now: datetime

    def claim(self, subscription: Subscription, ref: str, round_: int) -> bool:
        return self.store.claim_post(
            self.kind, self.team_id, subscription.channel_id, self.week, self.owner, self.now
        )

    def confirm(self, channel: str, ts: str, now: datetime) -> None:
        self.store.confirm_post(self.kind, self.team_id, channel, self.week, ts, now)

    def release(self, channel: str) -> None:
        self.store.release_post(self.kind, self.team_id, channel, self.week)

    def mark_unconfirmed(self, channel: str, ts: str | None = None) -> None:
        self.store.mark_post_unconfirmed(self.kind, self.team_id, channel, self.week, ts)

    def done(self) -> set[str]:
        return {p.channel_id for p in self.store.weekly_posts(self.kind, self.team_id, self.week)}


@contextmanager
def weekly_posting(
    context: FanoutContext, kind: PostKind, team_id: str, week: str, now: datetime
) -> Iterator[Sender]:
    """Posting one kind of weekly post in a workspace: under the workspace's fan-out lease
    (which the nudges hold too, so the pace holds for the workspace), what a run that died
    left `sending` settled as unconfirmed first, each post claimed as `kind`."""
    lease = FanoutLease(
        context.store, team_id, context.owner, context.clock, seconds=context.lease_seconds
    )
    with lease:
        context.store.settle_post_orphans(team_id)
        poster = SlackPoster(
            context.client_of(team_id),
            context.limits,
            sleep=context.sleep,
            stopped=context.stop.is_set,
        )
        claims = PostClaims(context.store, kind, team_id, week, context.owner, now)
        yield Sender(context, poster, claims, lease, what=kind)


def audiences(subscriptions: list[Subscription]) -> list[tuple[Subscription, str]]:
    """Who gets which digest: a leader channel its campus's (the district's when it has no
    campus), a systems channel the district's. Inactive channels get none."""
    found = []
    for subscription in subscriptions:
        if not subscription.active:
            continue
        if subscription.role == LEADER:
            found.append((subscription, subscription.campus or DISTRICT))
        elif subscription.role == SYSTEMS:
            found.append((subscription, DISTRICT))
    return found


def refresh_channels(context: FanoutContext, team_id: str, now: datetime) -> None:
    """Ask Slack for the name and people of each active role channel not asked lately, and
    propose a campus from the name for a channel that has none."""
    store = context.store
    sizes = store.channel_sizes(team_id)
    for subscription in store.subscriptions(team_id):
        channel = subscription.channel_id
        known = sizes.get(channel)
        fresh = known is not None and now.timestamp() - known.checked_at < CHANNEL_FRESH_SECONDS
        if not subscription.active or context.stop.is_set():
            continue
        name = known.name if known is not None else None
        if not fresh:
            info = _conversation(context, team_id, channel)
            if info is not None:
                name = remember_conversation(store, team_id, channel, info, now)
        if subscription.campus is None:
            campus = propose_campus(name, context.progression) if name else DISTRICT
            store.propose_campus(team_id, channel, campus)


def remember_conversation(
    store: Store, team_id: str, channel: str, info: dict[str, Any], now: datetime
) -> str | None:
    """Keep what Slack's `conversations.info` said of a role channel: its name and its people
    (its members less the app, which is in every role channel: people, not bots). The name."""
    name = str(info.get("name") or "") or None
    members = info.get("num_members")
    people = max(0, int(members) - 1) if isinstance(members, int) else None
    store.remember_channel(team_id, channel, name, people, now.timestamp())
    return name


def _conversation(context: FanoutContext, team_id: str, channel: str) -> dict[str, Any] | None:
    for _ in range(LOOKUP_ATTEMPTS):
        try:
            answer = context.client_of(team_id).conversations_info(
                channel=channel, include_num_members=True
            )
            info = answer.get("channel")
            return info if isinstance(info, dict) else None
        except SlackApiError as error:
            if error.response.status_code != 429:
                logger.warning(
                    "conversations.info for %s: %s", channel, error.response.get("error")
                )
                return None
            context.sleep(retry_after(error.response.headers))
        except OSError as error:
            logger.warning("conversations.info for %s: %s", channel, type(error).__name__)
            return None
    return None


def standings(store: Store, team_id: str) -> list[ChannelStanding]:
    """Every role channel's standing, a channel without a campus counted in the district."""
    return [replace(s, campus=s.campus or DISTRICT) for s in store.channel_standings(team_id)]


def build_digests(
    store: Store,
    team_id: str,
    week: str,
    slot: WeeklySlot,
    breaks: list[SchoolBreak],
    scopes: set[str],
) -> dict[str, Digest]:
    """The digests of `scopes` (campuses, and DISTRICT) for `week`."""
    channels = standings(store, team_id)
    weeks = school_weeks(week, slot, breaks)
    return {
        scope: build_digest(
            scope, week, [c for c in channels if scope == DISTRICT or c.campus == scope], weeks
        )
        for scope in scopes
    }


def run_digest(
    context: FanoutContext,
    team_id: str,
    week: str,
    now: datetime,
    messages: DigestMessages,
    *,
    default_tz: str = "UTC",
    dry_run: bool = False,
) -> FanoutReport:
    """Post `week`'s digests in the workspace; raises `FanoutRunning` when another run holds
    its lease. A week without a school day (or with the digest off) posts nothing."""
    started = time.monotonic()
    store = context.store
    if context.sleep is time.sleep:
        context = replace(context, sleep=cut_short_by(context.stop))
    report = FanoutReport(team_id, week, dry_run)
    slot, breaks = digest_slot(store, team_id, default_tz), store.breaks(team_id)
    if slot is None or slot_in_week(week, slot, breaks) is None:
        logger.info("No digest for %s %s: %s", team_id, week, "off" if slot is None else "break")
        return report
    refresh_channels(context, team_id, now)  # reads Slack, posts nothing: dry runs too
    targets = audiences(store.subscriptions(team_id))
    done = {p.channel_id for p in store.weekly_posts("digest", team_id, week)}
    scope_of = {s.channel_id: scope for s, scope in targets if s.channel_id not in done}
    for subscription, _ in targets:
        if subscription.channel_id in done:
            report.results.append(ChannelResult(subscription.channel_id, "skipped", "digest"))
    due = [s for s, _ in targets if s.channel_id in scope_of]
    nudge_slot = workspace_slot(store, team_id, default_tz)
    digests = build_digests(store, team_id, week, nudge_slot, breaks, set(scope_of.values()))
    if dry_run:
        for subscription in due:
            message = messages.digest(
                context.progression, digests[scope_of[subscription.channel_id]]
            )
            report.results.append(
                ChannelResult(subscription.channel_id, "would_post", "digest", message["text"])
            )
        return report
    if not due:
        return report
    with weekly_posting(context, "digest", team_id, week, now) as sender:
        charts = _Charts(context, sender.poster, messages, team_id, week, now)

        def post(subscription: Subscription) -> ChannelResult:
            digest = digests[scope_of[subscription.channel_id]]
            message = messages.digest(context.progression, digest)
            result = sender.send(subscription, "digest", message)
            if result.outcome == "posted":
                note = charts.upload(subscription.channel_id, digest)
                if note:
                    result = replace(result, detail=f"{result.detail}; {note}")
            return result

        report.results.extend(in_threads(post, due, context.concurrency, store))
    report.seconds = time.monotonic() - started
    logger.info("Digest %s", report.summary())
    return report


@dataclass
class _Charts:
    """The chart after each digest: drawn once per scope, uploaded under a claim of its own,
    in its turn of the channel's one post a second."""

    context: FanoutContext
    poster: SlackPoster
    messages: DigestMessages
    team_id: str
    week: str
    now: datetime

    def __post_init__(self) -> None:
        self._drawn: dict[str, Chart] = {}

    def upload(self, channel: str, digest: Digest) -> str:
        """Upload the chart into `channel`; a note for the report ("" when all went well)."""
        draw = self.messages.chart
        if draw is None:
            return ""
        store = self.context.store
        owner = self.context.owner
        if not store.claim_post("chart", self.team_id, channel, self.week, owner, self.now):
            return ""  # uploaded by an earlier run
        try:
            chart = self._drawn.get(digest.scope) or draw(digest, self.context.progression)
            self._drawn[digest.scope] = chart
        except Exception:
            logger.exception("Drawing the %s chart failed", digest.scope)
            store.release_post("chart", self.team_id, channel, self.week)
            return "chart not drawn (see the log)"
        try:
            stopped = self.context.stop.is_set
            with acquire_post(self.poster.pacer, self.poster.spacing, channel, stopped) as slot:
                slot.sending()
                done = self.context.client_of(self.team_id).files_upload_v2(
                    channel=channel,
                    file=chart.png,
                    filename=f"progress-{self.week}.png",
                    title=chart.title,
                    alt_txt=chart.alt_text,
                )
        except Stopped:
            store.release_post("chart", self.team_id, channel, self.week)
            return "chart not uploaded: the run stopped"
        except SlackApiError as error:
            # Refused before anything was shared: the text digest is complete without it.
            store.release_post("chart", self.team_id, channel, self.week)
            code = str(error.response.get("error") or error.response.status_code)
            logger.warning("Uploading the chart to %s failed: %s", channel, code)
            return f"chart not uploaded ({code})"
        except Exception as error:
            store.mark_post_unconfirmed("chart", self.team_id, channel, self.week)
            logger.warning(
                "Uploading the chart to %s: no answer (%s)", channel, type(error).__name__
            )
            return "chart may not have arrived"
        file = done.get("file") or {}
        file_id = str(file.get("id") or "shared")
        store.confirm_post("chart", self.team_id, channel, self.week, file_id, self.context.clock())
        return ""
