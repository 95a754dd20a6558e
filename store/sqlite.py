"""SQLite through sqlite-utils: one file, one connection per thread, WAL, migrations on open."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from store.backend import WRITE_WAIT_SECONDS, Backend, Params, Session
from store.migrations import migrations

# Opening the database waits longer for another process's migration (or a long writer):
# it happens once, at start-up, before any request.
MIGRATION_WAIT_SECONDS = 30.0


class SQLiteSession(Session):
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.connection.execute(sql, params).rowcount

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        cursor = self.connection.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        self.connection.executemany(sql, rows)

    def lock(self, key: str) -> None:
        """`begin immediate` already holds the database's only write lock."""


class SQLiteBackend(Backend):
    """Each thread gets its own connection to the file (so `:memory:` would give each thread
    a different database: tests use a temporary file)."""

    kind = "sqlite"
    # One writer at a time, and a disk sync per commit: writers share transactions.
    groups_commits = True

    path: str

    def __init__(self, path: str, *, write_wait: float = WRITE_WAIT_SECONDS) -> None:
        self.path = path
        self.write_wait = write_wait
        self._local = threading.local()

    @property
    def label(self) -> str:
        return self.path

    @property
    def db(self) -> Database:
        """This thread's connection: Bolt's listener threads and the scheduler's differ."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            connection = sqlite3.connect(self.path, timeout=self.write_wait, isolation_level=None)
            db = Database(connection)
            connection.execute(f"PRAGMA busy_timeout = {int(self.write_wait * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
            self._local.db = db
            self._local.session = SQLiteSession(connection)
        return db

    def _session(self) -> SQLiteSession:
        self.db  # noqa: B018 (opens this thread's connection)
        session: SQLiteSession = self._local.session
        return session

    @contextmanager
    def session(self) -> Iterator[Session]:
        yield self._session()

    @contextmanager
    def unsynced(self, wait: float) -> Iterator[Session]:
        """This thread's second connection, with `synchronous = NORMAL`: in WAL mode a commit
        then skips the disk sync (the other connections keep theirs)."""
        session: SQLiteSession | None = getattr(self._local, "unsynced", None)
        if session is None:
            connection = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
            connection.execute("PRAGMA synchronous = NORMAL")
            session = self._local.unsynced = SQLiteSession(connection)
            self._local.unsynced_wait = None
        if self._local.unsynced_wait != wait:
            session.connection.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            self._local.unsynced_wait = wait
        yield session

    @contextmanager
    def transaction(self, wait: float | None = None) -> Iterator[Session]:
        """Takes SQLite's write lock first (`begin immediate`), so a concurrent writer in
        another process waits in busy_timeout instead of failing on a read-then-write upgrade.

        `wait`: at most this long for the lock instead of `write_wait` (what is left of it)."""
        session = self._session()
        connection = session.connection
        if wait is None:
            connection.execute("begin immediate")
        else:
            connection.execute(f"PRAGMA busy_timeout = {max(0, int(wait * 1000))}")
            try:
                connection.execute("begin immediate")
            finally:
                connection.execute(f"PRAGMA busy_timeout = {int(self.write_wait * 1000)}")
        try:
            yield session
            connection.execute("commit")
        except BaseException:
            # SQLite may have rolled it back itself (a full disk): a rollback then fails, and
            # its error would hide why. A commit that failed may leave it open (SQLITE_BUSY
            # does), holding the write lock: rolled back here.
            if connection.in_transaction:
                connection.execute("rollback")
            raise

    def migrate(self) -> None:
        """Safe when several processes open the file at once: one migrates, under SQLite's
        write lock; the others wait for it, then find nothing pending."""
        connection = sqlite3.connect(
            self.path, timeout=MIGRATION_WAIT_SECONDS, isolation_level=None
        )
        try:
            db = Database(connection)
            if self.path != ":memory:":
                _enable_wal(connection)
            if not migrations.pending(db):
                return  # up to date: nothing to lock
            connection.execute("begin immediate")
            try:
                migrations.apply(db)
            except BaseException:
                connection.execute("rollback")
                raise
            connection.execute("commit")
        finally:
            connection.close()

    def backup(self, target: Path) -> None:
        """Written beside `target` and renamed into place, so a failed backup never leaves
        half a file under that name. SQLite's online backup copies one snapshot (a read
        transaction: writers go on)."""
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            self.db.conn.backup(copy)
            # A copy that is one file, ready to be put back in place as it is.
            copy.execute("PRAGMA journal_mode = delete")
            problems = copy.execute("PRAGMA quick_check").fetchone()[0]
            if problems != "ok":
                raise sqlite3.DatabaseError(f"the copy failed its check: {problems}")
        except BaseException:
            copy.close()
            partial.unlink(missing_ok=True)
            raise
        copy.close()
        os.replace(partial, target)

    def applied_migrations(self) -> list[str]:
        return [m.name for m in migrations.applied(self.db)]

    def tables(self) -> list[str]:
        internal = {Migrations.migrations_table, "sqlite_sequence", "sqlite_stat1"}
        return sorted(t for t in self.db.table_names() if t not in internal)

    def release(self) -> None:
        self.close()

    def close(self) -> None:
        db: Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
            self._local.session = None
        unsynced: SQLiteSession | None = getattr(self._local, "unsynced", None)
        if unsynced is not None:
            unsynced.connection.close()
            self._local.unsynced = None


def _enable_wal(connection: sqlite3.Connection) -> None:
    """WAL, so readers never wait for a writer. Switching a new file to WAL takes its lock
    and SQLite does not always call the busy handler for it, so a racing opener retries."""
    deadline = time.monotonic() + MIGRATION_WAIT_SECONDS
    while True:
        try:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":
                connection.execute("PRAGMA journal_mode = wal")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
