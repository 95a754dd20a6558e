"""Group-commit leaders of several processes on one SQLite file take turns on a lock file.

A turn is asked for every millisecond or so, where SQLite's busy handler polls in sleeps of up
to 100 ms; and the batch waiting meanwhile grows, so more web workers mean bigger batches
rather than a longer tail. A writer waits for its turn at most a quarter of its `write_wait` (and
half a second), then goes ahead without it and SQLite decides as before: a runner waiting long
for a lock held elsewhere never holds a request past Slack's 3 seconds. PostgreSQL queues
writers itself: nothing to add.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from store.backend import Backend, Session

TURN_WAIT = 0.5  # seconds, at most, for a turn


def between_processes(backend: Backend) -> Callable[[], AbstractContextManager[Session]]:
    """The backend's write transaction, taken in turns with other processes' on SQLite."""
    path = getattr(backend, "path", None)
    if backend.kind != "sqlite" or not isinstance(path, str) or path == ":memory:":
        return backend.transaction
    lock_file = path + "-writers"
    fd: list[int] = []

    @contextmanager
    def transaction() -> Iterator[Session]:
        if not fd:
            fd.append(os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600))
        # A share of the write's wait: the rest is SQLite's, so the two stay within it.
        turn = _take_turn(fd[0], min(TURN_WAIT, getattr(backend, "write_wait", 0.0) / 4))
        try:
            with backend.transaction() as session:
                yield session
        finally:
            if turn:
                fcntl.flock(fd[0], fcntl.LOCK_UN)

    return transaction


def _take_turn(fd: int, wait: float) -> bool:
    """The lock file within `wait` seconds (True), or not (False: go ahead without it)."""
    deadline = time.monotonic() + wait
    pause = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)  # bounded by `wait`: a turn, not a schedule
            pause = min(pause * 2, 0.004)
