"""Group commit: concurrent writers share one transaction, so a burst costs one disk sync.

Reaction events arrive in bursts and so do the fan-out's claims and confirmations: a window of
posts leaves together. Each caller hands over its work and returns once that work is committed,
with its own result or its own error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from store.backend import Session
from store.busy import is_busy

T = TypeVar("T")
Work = Callable[[Session], Any]


@dataclass
class _Job:
    work: Work
    result: Any = None
    finished: bool = False
    error: Exception | None = None
    lead: bool = False
    wake: threading.Event = field(default_factory=threading.Event)


class GroupCommit:
    """Leader/follower: the first caller to find no batch in progress leads, runs everything
    queued in one transaction on its own connection, then hands the lead to the next queued
    caller. No thread of its own, nothing to start or stop.

    If the batch fails, each job runs again alone, so one bad job fails only itself; when the
    batch could not even start (no connection, the write lock held elsewhere past the wait),
    every job in it gets that error: no caller hears of success for work that never ran."""

    def __init__(
        self, transaction: Callable[[], AbstractContextManager[Session]], together: bool = True
    ) -> None:
        self._transaction = transaction  # the backend's write transaction
        self._together = together
        self._lock = threading.Lock()
        self._queue: list[_Job] = []
        self._leading = False

    def run(self, work: Callable[[Session], T]) -> T:
        if not self._together:
            with self._transaction() as session:
                return work(session)
        job = _Job(work)
        with self._lock:
            self._queue.append(job)
            if not self._leading:
                self._leading = job.lead = True
        if not job.lead:
            job.wake.wait()  # done by a leader, or made the leader
        if not job.finished:
            self._lead()
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    def _lead(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            self._apply(batch)
        finally:
            with self._lock:
                busy = next((j.error for j in batch if j.error and is_busy(j.error)), None)
                if busy is not None:
                    # Those queued meanwhile waited for the same lock: the same answer, now,
                    # rather than a second full wait (a request has Slack's 3 seconds).
                    for job in self._queue:
                        job.error, job.finished = busy, True
                    batch, self._queue = batch + self._queue, []
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].wake.set()
                else:
                    self._leading = False
            for job in batch:
                job.wake.set()

    def _apply(self, batch: list[_Job]) -> None:
        try:
            self._apply_together(batch)
        except BaseException as error:
            for job in batch:
                if not job.finished:
                    job.error = error if isinstance(error, Exception) else RuntimeError(error)
                    job.finished = True
            if not isinstance(error, Exception):
                raise

    def _apply_together(self, batch: list[_Job]) -> None:
        try:
            with self._transaction() as session:
                results = [job.work(session) for job in batch]
        except Exception as error:
            if len(batch) == 1 or is_busy(error):
                # Alone, each job would wait out the lock again, one after the other.
                for job in batch:
                    job.error, job.finished = error, True
                return
            for job in batch:
                try:
                    with self._transaction() as session:
                        job.result = job.work(session)
                except Exception as alone:
                    job.error = alone
                job.finished = True
            return
        for job, result in zip(batch, results, strict=True):
            job.result, job.finished = result, True
