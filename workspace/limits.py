"""Slack's rate limits, enforced when asked, and the posts that came back before a 429's
Retry-After said they might: what a fan-out is measured by."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Rates:
    method: str
    per_channel: float
    per_workspace: float
    channel_last: dict[str, float] = field(default_factory=dict)
    recent: deque[float] = field(default_factory=deque)


class RateLimits:
    """Not thread-safe on its own: `Faults` calls it holding its lock."""

    def __init__(self) -> None:
        self._rates: _Rates | None = None
        self.workspace_wait: float | None = None  # see Faults.workspace_waits()
        # A 429's wait, per (method, channel); channel None is the workspace. A call that
        # arrives within (from, until) came back too early.
        self._not_before: dict[tuple[str, str | None], tuple[float, float]] = {}
        self.violations = 0

    def enforce(self, method: str, per_channel: float, per_workspace: float) -> None:
        self._rates = _Rates(method, per_channel, per_workspace)

    def arrived(self, method: str, channel: str | None, now: float) -> None:
        """Count the call if it came while its channel or the workspace was told to wait."""
        waits = (
            self._not_before.get((method, channel), (0.0, 0.0)),
            self._not_before.get((method, None), (0.0, 0.0)),
        )
        if any(start <= now < until for start, until in waits):
            self.violations += 1

    def injected_429(self, method: str, channel: str | None, now: float, retry_after: int) -> None:
        """An injected 429 asks its channel to wait, or the workspace (see workspace_waits)."""
        if self.workspace_wait is not None:
            self._told(method, None, now + retry_after, now + self.workspace_wait)
        else:
            self._told(method, channel, now + retry_after)

    def wait_needed(self, method: str, channel: str | None, now: float) -> int:
        """Seconds a 429 asks for when this call would pass the enforced rates; else 0 and the
        call counts against them."""
        rates = self._rates
        if rates is None or rates.method != method:
            return 0
        while rates.recent and now - rates.recent[0] >= 1.0:
            rates.recent.popleft()
        last = rates.channel_last.get(channel or "")
        channel_wait = 0.0 if last is None else last + 1 / rates.per_channel - now
        workspace_wait = (
            rates.recent[0] + 1.0 - now if len(rates.recent) >= rates.per_workspace else 0.0
        )
        if channel_wait > 0:
            self._told(method, channel, now + channel_wait)
        if workspace_wait > 0:
            self._told(method, None, now + workspace_wait)
        wait = max(channel_wait, workspace_wait)
        if wait > 0:
            return max(1, int(wait + 0.999))
        rates.recent.append(now)
        rates.channel_last[channel or ""] = now
        return 0

    def _told(
        self, method: str, channel: str | None, not_before: float, start: float = 0.0
    ) -> None:
        """Record a 429's wait until `not_before`; arrivals before `start` are not counted.
        A wait told while another runs extends it and counts from where that one did."""
        key = (method, channel)
        old_start, old_until = self._not_before.get(key, (0.0, 0.0))
        if not_before <= old_until:
            return
        self._not_before[key] = (min(start, old_start) if start < old_until else start, not_before)
