"""The store under pressure: several processes opening one file, and the group commit when a
batch cannot start."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from store import Store
from store.busy import is_busy
from store.group import GroupCommit
from store.migrations import migrations

PROCESSES = 4
ROUNDS = 6


def _open(path: str, barrier: Any, results: Any) -> None:
    barrier.wait(timeout=30)
    try:
        store = Store(path)
        store.subscribe(
            "T1",
            f"C{multiprocessing.current_process().pid}",
            "teacher",
            (),
            "U",
            "2026-W48",
            _now(),
        )
        store.close()
        results.put("ok")
    except Exception as error:
        results.put(f"{type(error).__name__}: {error}")


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 11, 23, tzinfo=UTC)


def _open_together(path: Path) -> list[str]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_open, args=(str(path), barrier, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return outcomes


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    for round in range(ROUNDS):
        path = tmp_path / f"new-{round}.db"
        assert _open_together(path) == ["ok"] * PROCESSES
        assert len(Store(path).subscriptions("T1")) == PROCESSES


def test_processes_opening_a_database_a_migration_behind_all_succeed(tmp_path: Path) -> None:
    last = migrations._migrations[-1].name
    for round in range(ROUNDS):
        path = tmp_path / f"behind-{round}.db"
        behind = Database(path)
        migrations.apply(behind, stop_before=last)
        behind.close()
        assert _open_together(path) == ["ok"] * PROCESSES
        applied = [m.name for m in migrations.applied(Database(path))]
        assert applied.count(last) == 1


def test_a_batch_whose_connection_fails_fails_every_caller_in_it(tmp_path: Path) -> None:
    """The thread that leads the second batch cannot get a connection: the caller that waited
    in that batch must get the error, not a success for a write that never ran."""
    path = tmp_path / "group.db"
    sqlite3.connect(path).execute("create table t (who text)").connection.commit()
    connections: dict[str, sqlite3.Connection] = {}
    release_first = threading.Event()

    def connection() -> sqlite3.Connection:
        name = threading.current_thread().name
        if name == "second":
            raise sqlite3.OperationalError("unable to open database file")
        if name not in connections:
            connections[name] = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        return connections[name]

    group = GroupCommit(connection)  # type: ignore[arg-type]  # a Connection is its own transaction
    outcomes: dict[str, object] = {}

    def write(who: str, hold: bool = False) -> None:
        def work(db: sqlite3.Connection) -> str:
            if hold:
                release_first.wait(timeout=10)
            db.execute("insert into t values (?)", [who])
            return who

        try:
            outcomes[who] = group.run(work)  # type: ignore[arg-type]
        except Exception as error:
            outcomes[who] = error

    first = threading.Thread(target=write, args=("first", True), name="first")
    first.start()
    _until(lambda: group._leading)
    # Queued behind the first batch: "second" then leads the next one, "third" follows it.
    second = threading.Thread(target=write, args=("second",), name="second")
    second.start()
    _until(lambda: len(group._queue) == 1)
    third = threading.Thread(target=write, args=("third",), name="third")
    third.start()
    _until(lambda: len(group._queue) == 2)
    release_first.set()
    for thread in (first, second, third):
        thread.join(timeout=10)

    written = {r[0] for r in sqlite3.connect(path).execute("select who from t")}
    assert outcomes["first"] == "first" and written == {"first"}
    assert isinstance(outcomes["second"], sqlite3.OperationalError)
    assert isinstance(outcomes["third"], sqlite3.OperationalError)


def _until(condition: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached")
        time.sleep(0.001)


def test_callers_queued_behind_a_locked_batch_get_busy_without_a_second_wait(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    sqlite3.connect(path).execute("create table t (who text)").connection.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("begin immediate")  # another process's lock, for the whole test
    attempts: list[str] = []

    def connection() -> sqlite3.Connection:
        attempts.append(threading.current_thread().name)
        return sqlite3.connect(path, timeout=2, isolation_level=None, check_same_thread=False)

    group = GroupCommit(connection)  # type: ignore[arg-type]
    outcomes: dict[str, object] = {}

    def write(who: str) -> None:
        try:
            outcomes[who] = group.run(lambda db: db.execute("insert into t values (?)", [who]))
        except Exception as error:
            outcomes[who] = error

    first = threading.Thread(target=write, args=("first",), name="first")
    first.start()
    _until(lambda: attempts == ["first"])
    second = threading.Thread(target=write, args=("second",), name="second")
    second.start()
    _until(lambda: len(group._queue) == 1 or not second.is_alive())
    for thread in (first, second):
        thread.join(timeout=10)
    holder.execute("rollback")

    assert all(is_busy(outcomes[who]) for who in ("first", "second")), outcomes  # type: ignore[arg-type]
    assert attempts == ["first"]  # the second caller heard the first wait's answer
