"""The store: one SQLite file, one connection per thread, migrations applied on open."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlite_utils import Database

from store.checkoffs import CheckoffStore
from store.group import GroupCommit
from store.leases import LeaseStore
from store.members import MemberStore
from store.migrations import migrations
from store.nudges import NudgeStore
from store.paths import check_database_path
from store.requests import RequestStore
from store.runner import RunnerStore


class Store(NudgeStore, CheckoffStore, RequestStore, LeaseStore, MemberStore, RunnerStore):
    """Named operations over the progression database; safe to share between threads.

    Each thread gets its own connection to the file (so `:memory:` would give each thread a
    different database: tests use a temporary file). `create=False` refuses a database that
    does not exist yet (commands that only read); a path that cannot be this app's database is
    refused either way, with `store.paths.DatabasePathError`.
    """

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = str(path)
        check_database_path(self.path, create=create)
        self._local = threading.local()
        writers = None if self.path == ":memory:" else self.path + "-writers"
        self._group = GroupCommit(lambda: self.db.conn, writers)
        self.migrate()

    def migrate(self) -> None:
        migrations.apply(self.db)

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
        return db

    def close(self) -> None:
        db: Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        self.close_requests_connection()
