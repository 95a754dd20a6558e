"""Posting within Slack's limits, so the fan-out does not provoke 429s and survives them.

`chat.postMessage` allows about one message per second per channel and a workspace-wide burst
(we pace at 20 per second by default). A 429 pauses every post of the workspace until its
Retry-After has passed: Slack's answer applies to the token, not to the one channel. 5xx answers
and failures to reach Slack are retried with backoff, a bounded number of times.

Slack's `chat.postMessage` has no idempotency key, so a post is retried only when Slack surely
did not take it: a 429, a 5xx, or a connection that failed before the request was sent. A
request that was sent and then got no answer (timeout, connection dropped) may have been posted:
it is reported as unknown, never sent again.
"""

from __future__ import annotations

import http.client
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackLimits:
    per_second: float = 20.0  # workspace-wide posts per second
    channel_interval: float = 1.0  # seconds between two posts to the same channel
    max_attempts: int = 5  # per channel, for 5xx and connection errors
    max_rate_limited: int = 10  # per channel: 429s answered before giving up for this run
    backoff_base: float = 1.0  # first retry after ~1 s, then doubling
    backoff_cap: float = 16.0
    # Windows already count from answers (see WorkspacePacer); this covers clock granularity.
    margin: float = 0.01
    # What a 429 pauses. Slack's Retry-After applies to the token, so the workspace by default;
    # "channel" holds only the channel that got it (measured in benchmarks/fanout.py).
    pause_scope: Literal["workspace", "channel"] = "workspace"

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before retry number `attempt` (1-based): exponential, capped, jittered."""
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay * (0.75 + 0.5 * (rng or random).random())


class WorkspacePacer:
    """At most `per_second` posts in any one-second window, and none while paused by a 429.

    A sliding window rather than a token bucket: a bucket that refilled during a pause would
    burst past the workspace limit afterwards. A post counts in the window from the moment it
    leaves until a window after its answer came back: Slack saw it somewhere in between, so
    the window holds on Slack's side whatever the network did to the timing.
    """

    def __init__(
        self,
        limits: SlackLimits,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_window = max(1, int(limits.per_second))
        # A fractional rate (e.g. 2.5/s) becomes a longer window with a whole number of posts.
        self._window = self._per_window / limits.per_second + limits.margin
        self._answered: deque[float] = deque()  # when recent posts got their answer
        self._in_flight = 0
        self._paused_until = 0.0
        self._monotonic = monotonic
        self._changed = threading.Condition()

    def acquire(self) -> None:
        """Block until a post may leave now, and count it; call `done()` once answered."""
        with self._changed:
            while True:
                now = self._monotonic()
                while self._answered and self._answered[0] <= now - self._window:
                    self._answered.popleft()
                ready: float | None = self._paused_until
                if len(self._answered) + self._in_flight >= self._per_window:
                    # Full: wait for the oldest answer to leave the window, or for an answer.
                    ready = self._answered[0] + self._window if self._answered else None
                    ready = None if ready is None else max(ready, self._paused_until)
                if ready is not None and ready <= now:
                    self._in_flight += 1
                    return
                self._changed.wait(None if ready is None else ready - now)

    def done(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._answered.append(self._monotonic())
            self._changed.notify_all()

    def pause(self, seconds: float) -> None:
        """Slack said 429: nobody in this workspace posts for `seconds`."""
        with self._changed:
            until = self._monotonic() + seconds
            if until > self._paused_until:
                self._paused_until = until
                self._changed.notify_all()

    @property
    def paused_for(self) -> float:
        with self._changed:
            return max(0.0, self._paused_until - self._monotonic())


class ChannelSpacing:
    """One post per channel per `channel_interval`, retries and DMs included, counted (like
    the workspace window) from the answer to the previous post."""

    def __init__(
        self,
        limits: SlackLimits,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = limits.channel_interval + limits.margin
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._sleep = sleep

    def hold(self, channel: str, seconds: float) -> None:
        """Nothing to this channel for `seconds` (a 429 scoped to the channel)."""
        with self._lock:
            until = self._monotonic() + seconds
            self._next[channel] = max(self._next.get(channel, 0.0), until)

    def wait(self, channel: str) -> None:
        """Sleep until the channel may take a post again (it may be taken meanwhile)."""
        while True:
            with self._lock:
                delay = self._next.get(channel, 0.0) - self._monotonic()
            if delay <= 0:
                return
            # A post in flight to the channel holds it indefinitely: poll briefly.
            self._sleep(min(delay, 0.05))

    def take(self, channel: str) -> bool:
        """Count a post leaving now; False when the channel is not free yet."""
        with self._lock:
            if self._next.get(channel, 0.0) > self._monotonic():
                return False
            self._next[channel] = math.inf  # until `done()`
            return True

    def done(self, channel: str) -> None:
        with self._lock:
            self._next[channel] = self._monotonic() + self._interval


class PostSlot:
    """Both limits held for one post: `with acquire_post(...)`, released when answered."""

    def __init__(self, pacer: WorkspacePacer, spacing: ChannelSpacing, channel: str) -> None:
        self.pacer, self.spacing, self.channel = pacer, spacing, channel

    def __enter__(self) -> PostSlot:
        return self

    def __exit__(self, *_: object) -> None:
        self.spacing.done(self.channel)
        self.pacer.done()


def acquire_post(pacer: WorkspacePacer, spacing: ChannelSpacing, channel: str) -> PostSlot:
    """Wait for both limits. The channel is taken only once the workspace lets the post go,
    so a wait on the pacer never shortens the gap between two posts to one channel."""
    while True:
        spacing.wait(channel)
        pacer.acquire()
        if spacing.take(channel):
            return PostSlot(pacer, spacing, channel)
        pacer.done()  # someone else took the channel meanwhile (two DMs to one manager)


PostKind = Literal["sent", "refused", "gave_up", "unknown"]


@dataclass(frozen=True)
class PostResult:
    kind: PostKind
    ts: str | None = None
    error: str = ""  # Slack's error code, or why we stopped


class SlackPoster:
    """`chat.postMessage` for one workspace, shared by the fan-out's threads."""

    def __init__(
        self,
        client: WebClient,
        limits: SlackLimits | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.limits = limits or SlackLimits()
        self.pacer = WorkspacePacer(self.limits)
        self.spacing = ChannelSpacing(self.limits, sleep=sleep)
        self._sleep = sleep
        self._rng = random.Random()

    def post(self, channel: str, message: dict[str, Any]) -> PostResult:
        attempts = rate_limited = 0
        while True:
            try:
                with acquire_post(self.pacer, self.spacing, channel):
                    response = self.client.chat_postMessage(
                        channel=channel,
                        text=message["text"],
                        blocks=message.get("blocks"),
                        unfurl_links=False,
                        unfurl_media=False,
                    )
                return PostResult("sent", ts=str(response["ts"]))
            except SlackApiError as error:
                status = error.response.status_code
                code = str(error.response.get("error") or f"http_{status}")
                if status == 429:
                    rate_limited += 1
                    wait = retry_after(error.response.headers)
                    logger.warning(
                        "Slack rate-limited a post to %s: pausing the %s %.1f s",
                        channel,
                        self.limits.pause_scope,
                        wait,
                    )
                    # The slot was released above: hold or pause from the answer on.
                    if self.limits.pause_scope == "workspace":
                        self.pacer.pause(wait)
                    else:
                        self.spacing.hold(channel, wait)
                    if rate_limited >= self.limits.max_rate_limited:
                        return PostResult("gave_up", error="rate_limited")
                    continue
                if status < 500:
                    return PostResult("refused", error=code)
                reason = f"http_{status}"
            except URLError as error:
                # urllib wraps failures up to sending the request: Slack never saw it.
                reason = f"connection: {error.reason}"
            except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
                # The request went out and no answer came back: it may have been posted.
                logger.warning("No answer from Slack for a post to %s: %r", channel, error)
                return PostResult("unknown", error=f"no answer: {type(error).__name__}")
            attempts += 1
            if attempts >= self.limits.max_attempts:
                return PostResult("gave_up", error=reason)
            delay = self.limits.backoff(attempts, self._rng)
            logger.info(
                "Post to %s failed (%s): retry %d in %.1f s", channel, reason, attempts, delay
            )
            self._sleep(delay)


def retry_after(headers: dict[str, Any]) -> float:
    """Retry-After in seconds (Slack sends whole seconds); 1 s when missing or unreadable."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


def without_retries(client: WebClient) -> WebClient:
    """The same workspace and API URL, minus slack_sdk's retry handlers: the poster decides
    what to retry, and a 429 must pause the whole workspace, not one request."""
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=client.timeout, retry_handlers=[]
    )
