"""Group-commit leaders of several processes on one SQLite file take turns on a lock file.

A blocked `flock` wakes the moment the other leader is done, where SQLite's busy handler polls
in sleeps of up to 100 ms; and the batch waiting meanwhile grows, so more web workers mean
bigger batches rather than a longer tail. A writer waits for its turn at most a quarter of its
`write_wait` (and half a second), then goes ahead without it and SQLite decides as before,
waiting only what is left of `write_wait`: a runner waiting long for a lock held elsewhere
never holds a request past Slack's 3 seconds. PostgreSQL queues writers itself: nothing to add.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from store.backend import Backend, Session

TURN_WAIT = 0.5  # seconds, at most, for a turn


def between_processes(backend: Backend) -> Callable[[], AbstractContextManager[Session]]:
    """The backend's write transaction, taken in turns with other processes' on SQLite."""
    if backend.path is None or backend.path == ":memory:":
        return backend.transaction
    lock_file = backend.path + "-writers"
    fd: list[int] = []

    @contextmanager
    def transaction() -> Iterator[Session]:
        if not fd:
            fd.append(os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600))
        # A share of the write's wait: the rest is SQLite's, so the two stay within it.
        began = time.monotonic()
        turn = _take_turn(fd[0], lock_file, min(TURN_WAIT, backend.write_wait / 4))
        # Taken at once: SQLite's whole wait; else what is left of it.
        left = None if turn == fd[0] else backend.write_wait - (time.monotonic() - began)
        try:
            with backend.transaction(left) as session:
                yield session
        finally:
            if turn == fd[0]:
                fcntl.flock(turn, fcntl.LOCK_UN)
            elif turn is not None:
                os.close(turn)  # a waiter's own descriptor: closing it ends the turn

    return transaction


def _take_turn(fd: int, lock_file: str, wait: float) -> int | None:
    """The descriptor that holds the lock file within `wait` seconds, or None (go ahead
    without it)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    if wait <= 0:
        return None
    # Polling would lose the lock to its holder, which takes it again the moment it lets go
    # (its next batch is ready): a blocked flock is woken by the kernel when it is let go. The
    # bound on the wait comes from blocking in a thread of its own, on a descriptor of its own.
    waiter = _Waiter(lock_file)
    return waiter.fd if waiter.got_it(wait) else None


class _Waiter:
    def __init__(self, lock_file: str) -> None:
        self.fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        self._decided = threading.Lock()
        self._locked = threading.Event()
        self._abandoned = False
        threading.Thread(target=self._block, name="writers-turn", daemon=True).start()

    def _block(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        with self._decided:
            if self._abandoned:
                os.close(self.fd)  # its writer went ahead without it: the turn passes on
                return
            self._locked.set()

    def got_it(self, wait: float) -> bool:
        if self._locked.wait(wait):
            return True
        with self._decided:
            if self._locked.is_set():
                return True
            self._abandoned = True
            return False
