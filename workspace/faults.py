"""Slack on a bad day, on request: errors, 429s, 5xx answers, dropped connections, slow or held
answers, expired response_urls, and Slack's rate limits enforced. The Web API consults it
before answering a call; with nothing asked of it, it changes nothing.

Tests use it to prove the app copes; someone trying the app can use it to watch the app retry."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workspace.limits import RateLimits

Clock = Callable[[], float]
HOLD_LIMIT = 60.0  # a held answer goes out after this long even if nobody releases it


@dataclass(frozen=True)
class Reply:
    """An answer as it goes out over HTTP: `payload` JSON (or text), or no answer at all."""

    status: int
    payload: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # hang up without answering
    delay: float = 0.0  # seconds to wait before answering

    @property
    def outcome(self) -> str:
        if self.drop:
            return "dropped"
        if self.status != 200:
            return "ratelimited" if self.status == 429 else f"http_{self.status}"
        if isinstance(self.payload, str):
            return "ok"
        return "ok" if self.payload.get("ok") else str(self.payload.get("error"))


@dataclass
class _Fault:
    kind: str  # "error", "429", "5xx", "drop"
    times: int
    channel: str | None
    error: str = ""
    status: int = 500
    retry_after: int = 1


class Faults:
    """What to do to the next calls, per method (and channel, when given).

    `clock`: monotonic seconds, for the enforced rate limits and the calls' arrival times."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._delays: dict[tuple[str, str | None], float] = {}
        self._random: tuple[str, float, float, random.Random] | None = None
        self._response_answers: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self._limits = RateLimits()
        self._released = threading.Event()
        self._released.set()

    def reset(self) -> None:
        """Forget every fault, delay and limit; release held answers."""
        with self._lock:
            self._faults.clear()
            self._delays.clear()
            self._random = None
            self._response_answers.clear()
            self._limits = RateLimits()
        self.release()

    @property
    def limit_violations(self) -> int:
        """Calls that arrived while a 429 had told them to wait."""
        with self._lock:
            return self._limits.violations

    # --- what to do -----------------------------------------------------------------

    def fail(self, method: str, error: str, times: int = 1, channel: str | None = None) -> None:
        """Answer `{"ok": false, "error": error}` to the next `times` calls."""
        self._add(method, _Fault("error", times, channel, error=error))

    def rate_limit(
        self, method: str, retry_after: int = 1, times: int = 1, channel: str | None = None
    ) -> None:
        """Answer 429 with `Retry-After` to the next `times` calls."""
        self._add(method, _Fault("429", times, channel, retry_after=retry_after))

    def server_error(
        self, method: str, status: int = 500, times: int = 1, channel: str | None = None
    ) -> None:
        self._add(method, _Fault("5xx", times, channel, status=status))

    def drop_connection(self, method: str, times: int = 1, channel: str | None = None) -> None:
        """Close the connection without answering."""
        self._add(method, _Fault("drop", times, channel))

    def delay(self, method: str, seconds: float, channel: str | None = None) -> None:
        """Answer every such call `seconds` late (it is recorded on arrival); 0 removes."""
        with self._lock:
            if seconds:
                self._delays[(method, channel)] = seconds
            else:
                self._delays.pop((method, channel), None)

    def enforce_limits(
        self,
        per_channel_per_second: float = 1.0,
        per_workspace_per_second: float = 20.0,
        method: str = "chat.postMessage",
    ) -> None:
        """Answer 429 when a post would pass Slack's rates; count posts sent too early."""
        with self._lock:
            self._limits.enforce(method, per_channel_per_second, per_workspace_per_second)

    def inject_random(
        self, method: str, rate_429: float = 0.05, rate_500: float = 0.02, seed: int = 0
    ) -> None:
        """Answer that share of calls 429 (Retry-After: 1) or 500, at random, repeatably."""
        with self._lock:
            self._random = (method, rate_429, rate_500, random.Random(seed))

    def workspace_waits(self, in_flight: float = 0.2) -> None:
        """From now on an injected 429 asks the whole workspace to wait, not only its channel:
        a post to any channel that arrives during the wait counts in `limit_violations`,
        except in the wait's first `in_flight` seconds (posts already on their way when the
        429 was answered)."""
        with self._lock:
            self._limits.workspace_wait = in_flight

    def answer_response_url(self, name: str, status: int, body: str) -> None:
        """The next POST to the response_url ending in `name` gets `status` and `body` (text),
        as Slack answers an expired or used one (404 `expired_url`, `used_url`)."""
        with self._lock:
            self._response_answers[name].append((status, body))

    # --- holding answers ------------------------------------------------------------

    def hold(self) -> None:
        """From now on every Web API and response_url call is recorded on arrival and its
        answer held until `release()`: what the app does before Slack answers is then
        observable without timing."""
        self._released.clear()

    def release(self) -> None:
        """Send every held answer, and stop holding."""
        self._released.set()

    @property
    def holding(self) -> bool:
        return not self._released.is_set()

    # --- consulted by the Web API ---------------------------------------------------

    def before_answer(self, method: str, channel: str | None, now: float) -> Reply | None:
        """The injected fault or 429 for a call arriving `now`, if any."""
        with self._lock:
            self._limits.arrived(method, channel, now)
            fault = self._take(method, channel) or self._random_fault(method)
            if fault is None:
                wait = self._limits.wait_needed(method, channel, now)
                return _ratelimited(wait) if wait else None
            if fault.kind == "error":
                return Reply(200, {"ok": False, "error": fault.error})
            if fault.kind == "5xx":
                return Reply(fault.status, {"ok": False, "error": "internal_error"})
            if fault.kind == "drop":
                return Reply(0, {}, drop=True)
            self._limits.injected_429(method, channel, now, fault.retry_after)
            return _ratelimited(fault.retry_after)

    def delay_for(self, method: str, channel: str | None) -> float:
        with self._lock:
            return self._delays.get((method, channel), self._delays.get((method, None), 0.0))

    def response_answer(self, name: str) -> Reply | None:
        """The injected answer for a POST to this response_url, or None for Slack's usual."""
        with self._lock:
            answers = self._response_answers.get(name)
            if not answers:
                return None
            status, body = answers.pop(0)
            return Reply(status, body)

    def _add(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults[method].append(fault)

    def _take(self, method: str, channel: str | None) -> _Fault | None:
        for fault in self._faults.get(method, []):
            if fault.channel is None or fault.channel == channel:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults[method].remove(fault)
                return fault
        return None

    def _random_fault(self, method: str) -> _Fault | None:
        if self._random is None or self._random[0] != method:
            return None
        _, rate_429, rate_500, rng = self._random
        roll = rng.random()
        if roll < rate_429:
            return _Fault("429", 1, None, retry_after=1)
        if roll < rate_429 + rate_500:
            return _Fault("5xx", 1, None, status=500)
        return None


def _ratelimited(retry_after: int) -> Reply:
    return Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
