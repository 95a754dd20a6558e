"""Work that calls Slack, done after Slack has its answer: Bolt's lazy listeners, run by the
bounded pool of threads we give Bolt (`App(listener_executor=AfterAck())`).

Slack shows the person an error (and retries an event) when a request is not answered within
3 seconds, whatever Slack's own latency; so a listener's ack function answers first and leaves
anything that waits on Slack (users.info, chat.postMessage, views.publish, response_url) to its
lazy function. Bolt (1.x, with `process_before_response=True`) starts each lazy function once
the ack function has returned, on a deep copy of the request. What Bolt does not keep, and
this module does:

- A bound, told at ack time. Bolt hands every lazy function to the executor, and a thread
  pool's queue has no end. Here the ack function takes a place first (`hand_over`): when
  `MAX_PENDING` are taken it hears so at once, and the person is told "busy, try again" in the
  answer itself.
- Acting only on what the ack function decided. Bolt starts the lazy functions whatever the
  ack function did: refused the request, raised, or never ran (a request carrying Bolt's
  `X-Slack-Bolt-Lazy-Only` header, which no signature covers, skips the ack function). Here
  the ack function hands its decision over in the request's context, and a lazy function
  finds nothing to do without one (`take_over`).
- A failure logged once with its traceback, and told. Bolt logs a lazy function's exception
  in one line without the traceback (`slack_bolt.lazy_listener.internals.
  build_runnable_function`); `take_over` logs it with the traceback and tells the person, when
  the listener says how.
- What was accepted is finished before the process exits (the pool is shut down, waiting).

What is handed over is copied with the request, so it is plain data (frozen dataclasses of
text); services come from the listener's own arguments, never from the context.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from slack_bolt import BoltContext

logger = logging.getLogger("progression_bot.after_ack")

WORKERS = 8
MAX_PENDING = 512
# The context key of what an ack function hands over; Bolt fills a context only with its own
# keys, from the payload, so nothing from outside can put one there.
HANDED_OVER = "progression_after_ack"

W = TypeVar("W")
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class _HandedOver:
    what: str  # for the log: "Publishing the Home tab"
    work: object


class AfterAck(Executor):
    """The executor Bolt runs lazy functions on (a few threads), and the count of work handed
    over and not yet finished."""

    def __init__(self, workers: int = WORKERS, max_pending: int = MAX_PENDING) -> None:
        self._workers = workers
        self._places = threading.BoundedSemaphore(max_pending)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def hand_over(self, context: BoltContext, what: str, work: object) -> bool:
        """From an ack function, as its last step: `work` for its lazy function. False when
        too much is already waiting: the caller answers "try again" at once."""
        if not self._places.acquire(blocking=False):
            logger.warning("Too much work waiting on Slack; refused: %s", what)
            return False
        context[HANDED_OVER] = _HandedOver(what, work)
        return True

    def take_over(
        self,
        context: BoltContext,
        kind: type[W],
        run: Callable[[W], None],
        tell: Callable[[W], None] | None = None,
    ) -> None:
        """From a lazy function: `run` what its ack function handed over, if it did. A failure
        is logged once with its traceback, and `tell` (if any) says so to the person."""
        handed = context.get(HANDED_OVER)
        if not isinstance(handed, _HandedOver):
            return  # the ack function refused, failed or never ran: nothing was decided
        work = handed.work
        try:
            if not isinstance(work, kind):
                raise TypeError(f"{type(work).__name__} handed over, {kind.__name__} expected")
            run(work)
        except Exception:
            logger.exception("%s failed after the request was answered", handed.what)
            if tell is not None and isinstance(work, kind):
                try:
                    tell(work)
                except Exception as error:  # the failure is logged above, with its traceback
                    logger.warning("Could not tell the person either: %s", type(error).__name__)
        finally:
            self._places.release()

    # --- what Bolt calls -----------------------------------------------------------------

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self._pool().submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=cancel_futures)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="after-ack")
                # What was accepted is finished (its follow-up sent) before the process ends.
                atexit.register(self.shutdown, True)
            return self._executor
