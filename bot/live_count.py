"""The nudge's live count ("✅ 12 done"), kept current with coalesced `chat.update` calls.

Listeners only `touch` a nudge; a background thread sends at most one update per nudge per
`delay` (a burst of reactions becomes one update), re-rendering the nudge with the count read
from the store at send time, and never more than the per-workspace token bucket allows
(Slack's `chat.update` is Tier 3, about 50 a minute per workspace: we stay at 40).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import Services
from bot.views import nudge_message
from progression.lookup import find_ref
from progression.model import Progression
from store import Store

logger = logging.getLogger("progression_bot.live_count")

Key = tuple[str, str, str]  # (team, channel, ts)


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
class LiveCount:
    """Per-process coalescer of nudge updates; thread-safe; the worker starts on first use."""

    store: Store
    progression: Progression
    client: WebClient
    per_minute: float = 40.0
    burst: float = 10.0
    delay: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _due: dict[Key, float] = field(default_factory=dict)
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _sending: int = 0
    _flushing: int = 0
    _stopped: bool = False
    _thread: threading.Thread | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)
    sent: int = 0

    def touch(self, team_id: str, channel_id: str, ts: str) -> None:
        """The count on this nudge changed: update it soon, once for the whole burst."""
        with self._lock:
            if self._stopped:
                return
            self._due.setdefault((team_id, channel_id, ts), self.clock() + self.delay)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="live-count", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Send what is pending now (still within the rate limit); True when all was sent."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._flushing += 1
            self._lock.notify_all()
            try:
                return self._lock.wait_for(
                    lambda: not self._due and not self._sending,
                    max(0.0, deadline - time.monotonic()),
                )
            finally:
                self._flushing -= 1

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is pending within `timeout`, then stop the worker."""
        self.flush(timeout)
        with self._lock:
            self._stopped = True
            self._lock.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # --- the worker ---------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                key = self._wait_for_next()
                if key is None:
                    return
                del self._due[key]
                self._bucket(key[0]).take(self.clock())
                self._sending += 1
            try:
                self._update(key)
            except Exception:
                logger.exception("Live count update of %s in %s failed", key[2], key[1])
            finally:
                with self._lock:
                    self._sending -= 1
                    self.sent += 1
                    self._lock.notify_all()

    def _wait_for_next(self) -> Key | None:
        """The next nudge to update once it is due and its workspace has a token."""
        while not self._stopped:
            now = self.clock()
            best: tuple[float, Key] | None = None
            for key, due in self._due.items():
                ready = self._bucket(key[0]).available_at(now)
                at = max(ready, now if self._flushing else due)
                if best is None or at < best[0]:
                    best = (at, key)
            if best is not None and best[0] <= now:
                return best[1]
            wait = None if best is None else best[0] - now
            self._lock.wait(wait)
        return None

    def _bucket(self, team_id: str) -> TokenBucket:
        bucket = self._buckets.get(team_id)
        if bucket is None:
            bucket = TokenBucket(self.per_minute / 60, self.burst, self.burst, self.clock())
            self._buckets[team_id] = bucket
        return bucket

    def _update(self, key: Key) -> None:
        team_id, channel_id, ts = key
        delivery = self.store.delivery_by_ts(team_id, channel_id, ts)
        if delivery is None or delivery.is_celebration:
            return
        move = find_ref(self.progression, delivery.ref)
        if move is None:
            return  # the progression changed since it was posted; leave the message be
        done = self.store.checkoff_count(team_id, channel_id, delivery.ref)
        message = nudge_message(self.progression, move, done)
        try:
            self.client.chat_update(
                channel=channel_id, ts=ts, text=message["text"], blocks=message["blocks"]
            )
        except SlackApiError as error:
            logger.warning(
                "chat.update of %s in %s refused: %s", ts, channel_id, error.response.get("error")
            )


_per_app: weakref.WeakKeyDictionary[App, LiveCount] = weakref.WeakKeyDictionary()
_per_app_lock = threading.Lock()


def live_count_for(app: App, services: Services) -> LiveCount:
    """The app's one coalescer (events and buttons share it, so they share the rate limit);
    pending updates are sent, within a few seconds, when the process exits."""
    with _per_app_lock:
        live = _per_app.get(app)
        if live is None:
            live = LiveCount(services.store, services.progression, services.slack)
            _per_app[app] = live
            atexit.register(live.stop, 5.0)
        return live
