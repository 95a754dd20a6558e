"""Group commit: concurrent writers share one transaction, so a burst costs one disk sync.

Reaction events arrive in bursts and so do the fan-out's claims and confirmations: a window of
posts leaves together. Each caller hands over its work and returns once that work is committed,
with its own result or its own error.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


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

    If the batch fails, each job runs again alone, so one bad job fails only itself.

    Between processes (web workers on one file), leaders queue on `writers`, a lock file beside
    the database, before taking SQLite's write lock: a blocked `flock` wakes the moment the other
    leader is done, where SQLite's busy handler polls in sleeps of up to 100 ms, and the batch
    waiting meanwhile grows, so more workers mean bigger batches rather than a longer tail."""

    def __init__(
        self, connection: Callable[[], sqlite3.Connection], writers: str | None = None
    ) -> None:
        self._connection = connection  # the calling thread's connection
        self._lock = threading.Lock()
        self._queue: list[_Job] = []
        self._leading = False
        self._writers = writers
        self._writers_fd: int | None = None

    def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
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
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].wake.set()
                else:
                    self._leading = False
            for job in batch:
                job.wake.set()

    def _apply(self, batch: list[_Job]) -> None:
        with self._between_processes():
            self._apply_locked(batch)

    @contextmanager
    def _between_processes(self) -> Iterator[None]:
        if self._writers is None:
            yield
            return
        if self._writers_fd is None:
            self._writers_fd = os.open(self._writers, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writers_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)

    def _apply_locked(self, batch: list[_Job]) -> None:
        connection = self._connection()
        try:
            with immediate(connection):
                results = [job.work(connection) for job in batch]
        except Exception as error:
            if len(batch) == 1:
                batch[0].error, batch[0].finished = error, True
                return
            for job in batch:
                try:
                    with immediate(connection):
                        job.result = job.work(connection)
                except Exception as alone:
                    job.error = alone
                job.finished = True
            return
        for job, result in zip(batch, results, strict=True):
            job.result, job.finished = result, True


@contextmanager
def immediate(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes SQLite's write lock first, so a concurrent writer
    (another process) waits in busy_timeout instead of failing on a read-then-write upgrade."""
    connection.execute("begin immediate")
    try:
        yield connection
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
