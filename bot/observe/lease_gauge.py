"""Whether this process's runner holds the runner lease, and for how long: a thread that looks
every second and sets the two gauges (in multiprocess mode a gauge is a file, so it is set, not
read at scrape time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.observe import metrics

LOOK_EVERY = 1.0


class LeaseGauge:
    def __init__(
        self,
        holds_lease: Callable[[], bool],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._holds_lease = holds_lease
        self._monotonic = monotonic
        self._since: float | None = None
        self._stop = threading.Event()

    def look(self) -> None:
        """Set the gauges from the runner's state now."""
        held = self._holds_lease()
        now = self._monotonic()
        if held and self._since is None:
            self._since = now
        elif not held:
            self._since = None
        metrics.show_runner_lease(held, now - self._since if self._since is not None else 0.0)

    def start(self) -> None:
        threading.Thread(target=self._run, name="lease-gauge", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while True:
            self.look()
            if self._stop.wait(LOOK_EVERY):
                self.look()
                return
