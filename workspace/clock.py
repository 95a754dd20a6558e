"""The workspace's clock: real time shifted by an offset that a jump moves forward."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class WorkspaceClock:
    """`clock()` is now on the workspace: what the app's Services and scheduler are given."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        """From now on the clock reads `moment` and runs on from there."""
        if moment.tzinfo is None:
            raise ValueError(f"need an aware datetime, got naive {moment.isoformat()}")
        with self._lock:
            self._offset = moment - datetime.now(UTC)

    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    def set_offset(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)

    def timestamp(self) -> float:
        return self().timestamp()
