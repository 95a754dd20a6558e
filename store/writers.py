"""Group-commit leaders of several processes on one SQLite file take turns on a lock file.

A blocked `flock` wakes the moment the other leader is done, where SQLite's busy handler polls
in sleeps of up to 100 ms; and the batch waiting meanwhile grows, so more web workers mean
bigger batches rather than a longer tail. PostgreSQL queues writers itself: nothing to add.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from store.backend import Backend, Session


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
        fcntl.flock(fd[0], fcntl.LOCK_EX)
        try:
            with backend.transaction() as session:
                yield session
        finally:
            fcntl.flock(fd[0], fcntl.LOCK_UN)

    return transaction
