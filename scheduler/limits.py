"""Posting within Slack's limits, so the fan-out does not provoke 429s and survives them.

`chat.postMessage` allows about one message per second per channel and "several hundred per minute"
per workspace (we pace at `PROGRESSION_POSTS_PER_MINUTE`, 300 a minute by default). A 429 pauses
every post of the workspace until its Retry-After has passed: Slack's answer applies to the token,
not to the one channel. Posts already sent when the 429 came back were on their way; a post that
had its place in the window but had not left yet (its claim being written) keeps that place and
waits out the pause before it leaves. 5xx answers and failures to reach Slack are retried with
backoff, a bounded number of times.

A window's posts leave together (see WorkspacePacer), so a pause mostly covers time the window had
no room in anyway: that is how random 429s cost little even when each pauses everyone.

Slack's `chat.postMessage` has no idempotency key, so a post is retried only when Slack surely did
not take it: a 429, a 5xx, or a connection that failed before the request was sent. A request that
was sent and then got no answer (timeout, connection dropped) may have been posted: it is reported
as unknown, never sent again.
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

# How often a post waiting for its place looks whether its run was stopped (seconds).
STOP_CHECK = 0.25


@dataclass(frozen=True)
class SlackLimits:
    per_second: float = 5.0  # workspace-wide posts per second (300 a minute)
    channel_interval: float = 1.0  # seconds between two posts to the same channel
    max_attempts: int = 5  # per channel, for 5xx and connection errors
    max_rate_limited: int = 10  # per channel: 429s answered before giving up for this run
    backoff_base: float = 1.0  # first retry after ~1 s, then doubling
    backoff_cap: float = 16.0
    # Windows already count from answers (see WorkspacePacer); this covers clock granularity.
    margin: float = 0.01

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before retry number `attempt` (1-based): exponential, capped, jittered."""
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay * (0.75 + 0.5 * (rng or random).random())


def workspace_limits(posts_per_minute: float) -> SlackLimits:
    """The limits for a workspace paced at `posts_per_minute` (the setting)."""
    return SlackLimits(per_second=posts_per_minute / 60)


def posts_per_window(limits: SlackLimits) -> int:
    """The posts of one `WorkspacePacer` window: a whole number, at least 1."""
    return max(1, int(limits.per_second))


class WorkspacePacer:
    """At most `per_second` posts in any one-second window, and none while paused by a 429.

    A post counts in the window from the moment it leaves until a window after its answer came
    back: Slack saw it somewhere in between, so the window holds on Slack's side whatever the
    network did to the timing. (Not a token bucket: one that refilled during a pause would burst
    past the workspace limit afterwards.)

    Windows are whole: once one is full, the next opens a window after the last of its answers,
    and all of its places at once. Its posts then leave together, before any of them is answered,
    so a 429 among them pauses what comes after the window rather than cutting it short, and the
    pause falls in the time the full window had to wait anyway. A sliding window would free one
    place per answer, spread out, and each 429 would stop the rest of that spread for a second.
    """

    def __init__(
        self,
        limits: SlackLimits,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_window = posts_per_window(limits)
        # A fractional rate (e.g. 2.5/s) becomes a longer window with a whole number of posts.
        self._window = self._per_window / limits.per_second + limits.margin
        self._answered: deque[float] = deque()  # when recent posts got their answer
        self._in_flight = 0
        self._full = False  # filled up: closed until a window after its last answer
        self._last_answer = 0.0
        self._paused_until = 0.0
        self._monotonic = monotonic
        self._changed = threading.Condition()

    def acquire(self, stopped: Callable[[], bool] = lambda: False) -> bool:
        """Block until a post may leave now, and count it (True; call `done()` once answered),
        or until `stopped()` (False, nothing counted)."""
        with self._changed:
            while True:
                if stopped():
                    return False
                now = self._monotonic()
                while self._answered and self._answered[0] <= now - self._window:
                    self._answered.popleft()
                if len(self._answered) + self._in_flight >= self._per_window:
                    self._full = True
                ready: float | None = self._paused_until
                if self._full:
                    # Wait for every answer, then a window after the last one.
                    ready = (
                        None
                        if self._in_flight
                        else max(self._last_answer + self._window, self._paused_until)
                    )
                if ready is not None and ready <= now:
                    self._full = False
                    self._in_flight += 1
                    return True
                wait = STOP_CHECK if ready is None else min(ready - now, STOP_CHECK)
                self._changed.wait(wait)

    def done(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._last_answer = self._monotonic()
            self._answered.append(self._last_answer)
            self._wake_when_answered()

    def cancel(self) -> None:
        """Give back a place that was never used: nothing left, so nothing to count."""
        with self._changed:
            self._in_flight -= 1
            self._wake_when_answered()

    def _wake_when_answered(self) -> None:
        """A post waits on a pause (which an answer does not change) or on a full window's
        last answer: only that one changes what a waiting post may do, so the others wake no
        one (a runner posting to a hundred workspaces has hundreds of waiting threads)."""
        if not self._in_flight:
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

    def wait(self, channel: str, stopped: Callable[[], bool] = lambda: False) -> bool:
        """Sleep until the channel may take a post again (it may be taken meanwhile): True,
        or False once `stopped()`."""
        while True:
            if stopped():
                return False
            with self._lock:
                delay = self._next.get(channel, 0.0) - self._monotonic()
            if delay <= 0:
                return True
            # A post in flight to the channel holds it indefinitely: poll briefly.
            self._sleep(min(delay, 0.05))

    def take(self, channel: str) -> float | None:
        """Count a post leaving now and return what `cancel` needs; None when the channel
        is not free yet."""
        with self._lock:
            free_from = self._next.get(channel, 0.0)
            if free_from > self._monotonic():
                return None
            self._next[channel] = math.inf  # until `done()`
            return free_from

    def done(self, channel: str) -> None:
        with self._lock:
            self._next[channel] = self._monotonic() + self._interval

    def cancel(self, channel: str, free_from: float) -> None:
        """Nothing was sent after all: the channel is as free as it was."""
        with self._lock:
            self._next[channel] = free_from


class Stopped(Exception):
    """The run was stopped while a post waited for its place: nothing of it was sent."""


class PostSlot:
    """Both limits held for one post: `with acquire_post(...)`, released when answered.

    Call `sending()` just before the request goes out; a slot left unsent is given back
    without counting, so the window it held is not lost."""

    def __init__(
        self, pacer: WorkspacePacer, spacing: ChannelSpacing, channel: str, free_from: float
    ) -> None:
        self.pacer, self.spacing, self.channel = pacer, spacing, channel
        self._free_from = free_from
        self.sent = False

    def sending(self) -> None:
        self.sent = True

    def __enter__(self) -> PostSlot:
        return self

    def __exit__(self, *_: object) -> None:
        if self.sent:
            self.spacing.done(self.channel)
            self.pacer.done()
        else:
            self.spacing.cancel(self.channel, self._free_from)
            self.pacer.cancel()


def acquire_post(
    pacer: WorkspacePacer,
    spacing: ChannelSpacing,
    channel: str,
    stopped: Callable[[], bool] = lambda: False,
) -> PostSlot:
    """Wait for both limits (`Stopped` once `stopped()`). The channel is taken only once the
    workspace lets the post go, so a wait on the pacer never shortens the gap between two posts
    to one channel."""
    while True:
        if not spacing.wait(channel, stopped) or not pacer.acquire(stopped):
            raise Stopped(channel)
        free_from = spacing.take(channel)
        if free_from is not None:
            return PostSlot(pacer, spacing, channel, free_from)
        pacer.cancel()  # someone else took the channel meanwhile (two DMs to one manager)


# "stopped": the run was stopped before this post left (nothing of it reached Slack).
PostKind = Literal["sent", "refused", "gave_up", "unknown", "not_claimed", "stopped"]


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
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        self.client = client
        self.limits = limits or SlackLimits()
        self.pacer = WorkspacePacer(self.limits)
        self.spacing = ChannelSpacing(self.limits, sleep=sleep)
        self._sleep = sleep
        self._stopped = stopped  # a stopped run posts nothing more (see FanoutContext's `stop`)
        self._rng = random.Random()

    def post(
        self,
        channel: str,
        message: dict[str, Any],
        *,
        claim: Callable[[], bool] | None = None,
    ) -> PostResult:
        """Post within the limits, retrying what Slack surely did not take.

        `claim` runs once, when the first attempt has its place in both limits and just before
        it leaves: the delivery is claimed only when it is about to be sent, so posts waiting
        for the window hold no claim. False (someone else has it) means nothing is sent."""
        attempts = rate_limited = 0
        while True:
            try:
                with acquire_post(self.pacer, self.spacing, channel, self._stopped) as slot:
                    if claim is not None:
                        if not claim():
                            return PostResult("not_claimed")
                        claim = None
                    self._wait_out_a_pause()
                    if self._stopped():
                        return PostResult("stopped")
                    slot.sending()
                    response = self.client.chat_postMessage(
                        channel=channel,
                        text=message["text"],
                        blocks=message.get("blocks"),
                        thread_ts=message.get("thread_ts"),  # a reply in a thread (reminders)
                        unfurl_links=False,
                        unfurl_media=False,
                    )
                return PostResult("sent", ts=str(response["ts"]))
            except Stopped:
                return PostResult("stopped")
            except SlackApiError as error:
                status = error.response.status_code
                code = str(error.response.get("error") or f"http_{status}")
                if status == 429:
                    rate_limited += 1
                    wait = retry_after(error.response.headers)
                    logger.warning(
                        "Slack rate-limited a post to %s: pausing the workspace %.1f s",
                        channel,
                        wait,
                    )
                    # The slot was released above: the pause counts from the answer on.
                    self.pacer.pause(wait)
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
            if self._stopped():
                return PostResult("stopped")

    def _wait_out_a_pause(self) -> None:
        """A 429 that came back while this post was getting ready (its claim being written)
        pauses it too: it has not left yet. It keeps its place in the window meanwhile."""
        for _ in range(3):  # a pause extended meanwhile by another 429
            wait = self.pacer.paused_for
            if wait <= 0 or self._stopped():
                return
            self._sleep(wait)


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
    what to retry, and a 429 must pause the whole workspace, not one request. A handler that
    never retries (`retries = False`: the app's count of calls) stays."""
    kept = [h for h in client.retry_handlers if getattr(h, "retries", True) is False]
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=client.timeout, retry_handlers=kept
    )


def each_without_retries(
    client_for: Callable[[str], WebClient] | None,
) -> Callable[[str], WebClient] | None:
    """Each workspace's client (multi-workspace mode), `without_retries`."""
    if client_for is None:
        return None
    return lambda team_id: without_retries(client_for(team_id))
