"""SQLite writers' turns on the lock file beside the database: bounded, and never left held."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from store import Store

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_a_turn_held_elsewhere_delays_a_write_a_bounded_time_and_is_never_kept(
    tmp_path: Path,
) -> None:
    db = tmp_path / "progression.db"
    store = Store(db, write_wait=0.4)  # a turn waits a quarter of it
    other = os.open(f"{db}-writers", os.O_RDWR | os.O_CREAT, 0o600)  # another process's turn
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        done = threading.Event()

        def write() -> None:
            store.remember_user("T1", "U1", False, NOW)
            done.set()

        threading.Thread(target=write, daemon=True).start()
        assert done.wait(10), "a write waited for a turn held elsewhere without bound"
        assert store.known_bot("T1", "U1") is False
        fcntl.flock(other, fcntl.LOCK_UN)

        # The writer that went ahead left a waiter behind: once it has the turn, it lets go.
        deadline = time.monotonic() + 10
        while any(t.name == "writers-turn" for t in threading.enumerate()):
            assert time.monotonic() < deadline, "the waiter never got the turn"
            time.sleep(0.01)  # polling a thread of this process, not a schedule
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: left held
        fcntl.flock(other, fcntl.LOCK_UN)
        store.remember_user("T1", "U2", True, NOW)  # and turns go on
        assert store.known_bot("T1", "U2") is True
    finally:
        os.close(other)
        store.close()
