"""Slack's delivery health, as the app sees it: Slack turns an app's event subscriptions off when
fewer than 95% of its deliveries in an hour succeed (a 2xx within 3 seconds). Each web worker
counts its own answers to event deliveries over the last hour (a fair sample: gunicorn spreads
them), logs a warning past 2% failed, and past 4% asks the runner to tell the managers, once
an hour. Slack's `app_rate_limited` notice (the workspace's events are being dropped) is
logged, counted and told to the managers too.

The worker only asks (an outbox row, `notice`); the runner sends the DM (bot/background/
notices.py) and sends one per workspace, kind and hour however many workers asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.observe import metrics

logger = logging.getLogger("progression_bot.delivery_health")

LATE_SECONDS = 3.0  # Slack's limit for an answer
WARN_ABOVE = 0.02
TELL_ABOVE = 0.04
SLACK_TURNS_OFF_AT = 0.05
# Fewer deliveries than this in an hour say little: one failure in ten is not a trend.
FEWEST_DELIVERIES = 20
WINDOW_SECONDS = 3600.0
_BUCKET_SECONDS = 60.0
FAILURES, RATE_LIMITED = "failures", "rate_limited"


def hour_of(now: float) -> str:
    """The clock hour `now` falls in, as notices are keyed: `2026-05-04T13`."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H")


@dataclass(frozen=True)
class Notice:
    """What the managers are to be told: an outbox subject and back."""

    kind: str  # FAILURES or RATE_LIMITED
    hour: str
    failed: int = 0
    total: int = 0

    @property
    def subject(self) -> str:
        if self.kind == FAILURES:
            return f"{self.kind} {self.hour} {self.failed} {self.total}"
        return f"{self.kind} {self.hour}"

    @classmethod
    def from_subject(cls, subject: str) -> Notice:
        kind, hour, *figures = subject.split(" ")
        failed, total = (int(f) for f in figures) if len(figures) == 2 else (0, 0)
        return cls(kind, hour, failed, total)

    @property
    def once_key(self) -> tuple[str, str]:
        """One DM per kind and hour, whatever the figures."""
        return (self.kind, self.hour)


# Asks the runner to tell a workspace's managers; False when it could not be asked (the
# database), so that the next delivery asks again.
AskRunner = Callable[[str, Notice, float], bool]


class DeliveryHealth:
    """The last hour's event deliveries of this process, in one-minute buckets."""

    def __init__(
        self,
        ask_runner: AskRunner,
        *,
        clock: Callable[[], float] = time.time,
        warn_above: float = WARN_ABOVE,
        tell_above: float = TELL_ABOVE,
        fewest: int = FEWEST_DELIVERIES,
    ) -> None:
        self._ask_runner = ask_runner
        self._clock = clock
        self.warn_above, self.tell_above, self.fewest = warn_above, tell_above, fewest
        self._buckets: deque[list[int]] = deque()  # [minute, total, failed], oldest first
        self._total = self._failed = 0
        self._lock = threading.Lock()
        self._warned_hour: str | None = None
        self._told_hour: str | None = None

    def record(self, status: int, seconds: float, workspace: str | None) -> None:
        """One answer to an event delivery: `status`, given `seconds` after it arrived."""
        failed = not 200 <= status < 300 or seconds > LATE_SECONDS
        now = self._clock()
        with self._lock:
            self._add(now, failed)
            total, failures = self._total, self._failed
        ratio = failures / total if total else 0.0
        metrics.show_delivery_failure_ratio(ratio)
        if total < self.fewest or ratio <= self.warn_above:
            return
        hour = hour_of(now)
        if self._warned_hour != hour:
            self._warned_hour = hour
            logger.warning(
                "Slack's event deliveries: %d of %d in the last hour failed or were late "
                "(%.1f%%); Slack turns the app's events off at %.0f%%",
                failures,
                total,
                ratio * 100,
                SLACK_TURNS_OFF_AT * 100,
            )
        if ratio > self.tell_above and self._told_hour != hour and workspace:
            notice = Notice(FAILURES, hour, failures, total)
            if self._ask_runner(workspace, notice, now):
                self._told_hour = hour

    def app_rate_limited(self, workspace: str | None) -> None:
        """Slack's notice that it is dropping the workspace's events."""
        now = self._clock()
        metrics.count_app_rate_limited()
        logger.warning(
            "Slack says it is dropping events of workspace %s (app_rate_limited)",
            workspace or "(none named)",
        )
        if workspace:
            self._ask_runner(workspace, Notice(RATE_LIMITED, hour_of(now)), now)

    @property
    def last_hour(self) -> tuple[int, int]:
        """(failed, total) over the last hour."""
        with self._lock:
            self._add(self._clock(), None)
            return self._failed, self._total

    def _add(self, now: float, failed: bool | None) -> None:
        minute = int(now // _BUCKET_SECONDS)
        oldest = minute - int(WINDOW_SECONDS // _BUCKET_SECONDS) + 1
        while self._buckets and self._buckets[0][0] < oldest:
            _, total, failures = self._buckets.popleft()
            self._total -= total
            self._failed -= failures
        if failed is None:
            return
        if not self._buckets or self._buckets[-1][0] < minute:  # a clock set back: the last
            self._buckets.append([minute, 0, 0])
        bucket = self._buckets[-1]
        bucket[1] += 1
        self._total += 1
        if failed:
            bucket[2] += 1
            self._failed += 1
