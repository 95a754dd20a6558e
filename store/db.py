"""The store: one SQLite file, one connection per thread, migrations applied on open."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from sqlite_utils import Database

from store.checkoffs import CheckoffStore
from store.group import GroupCommit, immediate
from store.leases import LeaseStore
from store.members import MemberStore
from store.migrations import migrations
from store.nudges import NudgeStore
from store.paths import check_database_path
from store.requests import RequestStore

# A write waits this long for another process's write lock, then fails as busy (`is_busy`):
# inside Slack's 3 seconds, so the request still gets its answer ("busy, try again", or
# a status that makes Slack retry the event). Reads never wait: WAL readers see the last commit.
WRITE_WAIT_SECONDS = 2.0
# Background work (the fan-out's claims and confirmations, `nudge` from cron) answers no
# request: it waits out another writer rather than lose a confirmation it cannot redo.
BACKGROUND_WRITE_WAIT_SECONDS = 30.0
# Opening the database waits longer for another process's migration (or a long writer):
# it happens once, at start-up, before any request.
MIGRATION_WAIT_SECONDS = 30.0


class Store(NudgeStore, CheckoffStore, RequestStore, LeaseStore, MemberStore):
    """Named operations over the progression database; safe to share between threads.

    Each thread gets its own connection to the file (so `:memory:` would give each thread a
    different database: tests use a temporary file). `create=False` refuses a database that
    does not exist yet (commands that only read); a path that cannot be this app's database is
    refused either way, with `store.paths.DatabasePathError`.
    """

    def __init__(
        self, path: Path | str, *, create: bool = True, write_wait: float = WRITE_WAIT_SECONDS
    ) -> None:
        self.path = str(path)
        self.write_wait = write_wait
        check_database_path(self.path, create=create)
        self._local = threading.local()
        self._group = GroupCommit(lambda: self.db.conn)
        self.migrate()

    def migrate(self) -> None:
        """Bring the schema up to date; safe when several processes open the file at once."""
        connection = sqlite3.connect(
            self.path, timeout=MIGRATION_WAIT_SECONDS, isolation_level=None
        )
        try:
            db = Database(connection)
            if self.path != ":memory:":
                _enable_wal(connection)
            if not migrations.pending(db):
                return  # up to date: nothing to lock
            # One process migrates at a time; the others wait here, then find nothing pending.
            with immediate(connection):
                migrations.apply(db)
        finally:
            connection.close()

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
        return db

    def backup(self, target: Path) -> None:
        """A consistent copy of the live database at `target`, written beside it and renamed
        into place, so a failed backup never leaves half a file under that name.

        SQLite's online backup copies one snapshot (a read transaction: writers go on)."""
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

    def close(self) -> None:
        db: Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        self.close_requests_connection()


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
