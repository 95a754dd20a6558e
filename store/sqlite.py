"""SQLite through sqlite-utils: one file, one connection per thread, WAL, migrations on open."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlite_utils import Database, Migrations

from store.backend import Backend, Params, Session
from store.migrations import migrations


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

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    @property
    def label(self) -> str:
        return self.path

    @property
    def db(self) -> Database:
        """This thread's connection: Bolt's listener threads and the scheduler's differ."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db = Database(connection)
            if self.path != ":memory:":
                db.enable_wal()
            connection.execute("PRAGMA busy_timeout = 30000")
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
    def unsynced(self) -> Iterator[Session]:
        """This thread's second connection, with `synchronous = NORMAL`: in WAL mode a commit
        then skips the disk sync (the other connections keep theirs)."""
        session: SQLiteSession | None = getattr(self._local, "unsynced", None)
        if session is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 30000")
            connection.execute("PRAGMA synchronous = NORMAL")
            session = self._local.unsynced = SQLiteSession(connection)
        yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Takes SQLite's write lock first (`begin immediate`), so a concurrent writer in
        another process waits in busy_timeout instead of failing on a read-then-write upgrade."""
        session = self._session()
        session.connection.execute("begin immediate")
        try:
            yield session
        except BaseException:
            session.connection.execute("rollback")
            raise
        session.connection.execute("commit")

    def migrate(self) -> None:
        migrations.apply(self.db)

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
