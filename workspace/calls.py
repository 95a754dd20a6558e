"""Every call the app made, as the workspace received it, in order of arrival: what a test reads
(and waits on) to see what the app did. Unlike the developer's log it keeps everything, with the
token and the moment of arrival, so it is kept only when asked for."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request as Slack received it. `outcome` is "ok", Slack's error code, "ratelimited",
    "http_<status>" or "dropped"."""

    method: str  # a Web API method, or "response_url"
    params: dict[str, Any]
    token: str | None
    at: float  # on the clock of the workspace's faults: monotonic seconds by default
    outcome: str = "ok"
    name: str = ""  # a response_url call: the last part of its URL


class CallLog:
    """Calls recorded on arrival; `wait_for` wakes when they come."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._calls: list[Call] = []

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Block until `count` calls of `method` arrived; AssertionError after `timeout`."""
        found = self._wait(lambda c: c.method == method, count, timeout)
        if len(found) < count:
            raise AssertionError(f"{len(found)} {method} calls, wanted {count}")
        return found

    def wait_for_response_url(self, name: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Block until `count` POSTs to the response_url `name` arrived; AssertionError after."""
        found = self._wait(lambda c: c.method == "response_url" and c.name == name, count, timeout)
        if len(found) < count:
            raise AssertionError(f"{len(found)} POSTs to response_url {name}, not {count}")
        return found

    def _wait(self, wanted: Any, count: int, timeout: float) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if wanted(c)]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self._lock.wait(left)
