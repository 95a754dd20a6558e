"""Work that calls Slack, done after Slack has its answer: a bounded pool of threads.

Slack shows the person an error (and retries an event) when a request is not answered within
3 seconds, whatever Slack's own latency; so a listener answers first and hands anything that
waits on Slack (users.info, chat.postMessage, views.publish, response_url) to this pool.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger("progression_bot.after_ack")

WORKERS = 8
MAX_PENDING = 512

Tell = Callable[[], None]


class AfterAck:
    """`submit(work, what, tell)`: `work` runs on one of a few threads; if it raises, the
    failure is logged once with its traceback and `tell` (if any) says so to the person."""

    def __init__(self, workers: int = WORKERS, max_pending: int = MAX_PENDING) -> None:
        self._workers = workers
        self._slots = threading.BoundedSemaphore(max_pending)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, work: Callable[[], None], what: str, tell: Tell | None = None) -> bool:
        """False when too much is already waiting: the caller answers "try again" at once."""
        if not self._slots.acquire(blocking=False):
            logger.warning("Too much work waiting on Slack; refused: %s", what)
            return False
        self._pool().submit(self._run, work, what, tell)
        return True

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="after-ack")
                # What was accepted is finished (its follow-up sent) before the process ends.
                atexit.register(self.shutdown, True)
            return self._executor

    def _run(self, work: Callable[[], None], what: str, tell: Tell | None) -> None:
        try:
            work()
        except Exception:
            logger.exception("%s failed after the request was answered", what)
            if tell is not None:
                try:
                    tell()
                except Exception as error:  # the failure is logged above, with its traceback
                    logger.warning("Could not tell the person either: %s", type(error).__name__)
        finally:
            self._slots.release()
