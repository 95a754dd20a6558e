"""The nudge's live count ("✅ 12 done"), kept current with coalesced `chat.update` calls.

Web workers only record a check-off, and with it (same transaction) an outbox row for the
nudge: a burst of reactions on one nudge, from however many workers, is one row. The runner
updates a nudge `delay` after it first saw the row (so the burst is one update),
re-rendering it with the count read from the store at send time, and never faster than the
per-workspace token bucket allows (Slack's `chat.update` is Tier 3, about 50 a minute per
workspace: we stay at 40). One runner per deployment, so the budget holds across processes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.views import nudge_message
from progression.lookup import find_ref
from progression.model import Progression
from store import Store
from store.outbox import Work

logger = logging.getLogger("progression_bot.live_count")


@dataclass
class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up: over any minute at most
    `burst + 60 * rate` calls."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def available_at(self, now: float) -> float:
        """When a token is there (now, or later)."""
        self._refill(now)
        return now if self.tokens >= 1 else now + (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


@dataclass
class LiveCounts:
    """The runner's duty for "count" work: one `chat.update` per nudge and burst."""

    store: Store
    progression: Progression
    client: WebClient
    per_minute: float = 40.0
    burst: float = 10.0
    delay: float = 1.0
    monotonic: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    # When this runner first saw each pending nudge: the burst's delay counts from there, on
    # this process's clock, whatever the clocks of the workers (or a `try` clock) say.
    _seen: dict[tuple[str, str], float] = field(default_factory=dict)
    sent: int = 0
    # Multi-workspace mode: each workspace's client, with its token (bot/slack/client.py).
    client_for: Callable[[str], WebClient] | None = None

    def ready_at(self, work: Work, now: float) -> float:
        at = self.monotonic()
        seen = self._seen.setdefault((work.team_id, work.subject), at)
        bucket = self._bucket(work.team_id)
        return now + max(seen + self.delay, bucket.available_at(at)) - at

    def do(self, work: Work, now: float) -> None:
        self._seen.pop((work.team_id, work.subject), None)
        self._bucket(work.team_id).take(self.monotonic())
        channel_id, _, ts = work.subject.partition(" ")
        self.sent += 1
        self.update(work.team_id, channel_id, ts)

    def update(self, team_id: str, channel_id: str, ts: str) -> None:
        """Re-render the nudge with its count as it is now."""
        delivery = self.store.delivery_by_ts(team_id, channel_id, ts)
        if delivery is None or delivery.is_celebration:
            return
        move = find_ref(self.progression, delivery.ref)
        if move is None:
            return  # the progression changed since it was posted; leave the message be
        done = self.store.checkoff_count(team_id, channel_id, delivery.ref)
        message = nudge_message(self.progression, move, done)
        try:
            client = self.client_for(team_id) if self.client_for else self.client
            client.chat_update(
                channel=channel_id, ts=ts, text=message["text"], blocks=message["blocks"]
            )
        except SlackApiError as error:
            logger.warning(
                "chat.update of %s in %s refused: %s", ts, channel_id, error.response.get("error")
            )

    def _bucket(self, team_id: str) -> TokenBucket:
        bucket = self._buckets.get(team_id)
        if bucket is None:
            now = self.monotonic()
            bucket = TokenBucket(self.per_minute / 60, self.burst, self.burst, now)
            self._buckets[team_id] = bucket
        return bucket
