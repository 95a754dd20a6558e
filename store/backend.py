"""What the store needs of a database, written once for SQLite and PostgreSQL.

The store's named operations are SQL that both databases speak (`INSERT … ON CONFLICT`,
`RETURNING`, `?` parameters); a backend runs it. SQLite is the embedded default (a file, no
set-up); PostgreSQL is for deployments whose processes run on several hosts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Params = Sequence[Any]

# A write waits this long for another writer's lock, then fails as busy (`store.busy.is_busy`):
# well inside Slack's 3 seconds, so the request still gets its answer ("busy, try again", or
# a status that makes Slack retry the event). Reads never wait.
WRITE_WAIT_SECONDS = 2.0
# Background work (the fan-out's claims and confirmations, `nudge` from cron) answers no
# request: it waits out another writer rather than lose a confirmation it cannot redo.
BACKGROUND_WRITE_WAIT_SECONDS = 30.0
# PostgreSQL connections a process opens at most. A runner needs fewer: its writes come in
# bursts that share one transaction and its reads are short, and every connection is a server
# process competing for the same cores: 100 workspaces' posts at one slot, from one process on
# 2 cores, were done in about 6.2 s with 8 connections and 7.3 to 8 s with 16.
POOL_SIZE = 16
BACKGROUND_POOL_SIZE = 8


class StoreError(Exception):
    """The database cannot be used as configured; the message is one line that says why."""


class Session(ABC):
    """One connection, for one unit of work: the store's SQL, with `?` parameters."""

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abstractmethod
    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Run one query; its rows as dicts keyed by column name."""

    @abstractmethod
    def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter row (bulk copies)."""

    @abstractmethod
    def lock(self, key: str) -> None:
        """Serialize, until the transaction ends, the writers that name the same key.

        SQLite's write transaction already excludes every other writer; PostgreSQL writers on
        other hosts only wait for each other on the rows they both touch, and a read-then-write
        (is there another check-off emoji?) needs this."""

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))


class Backend(ABC):
    """A database the store can open: sessions, write transactions, migrations."""

    kind: str  # "sqlite" or "postgresql"
    groups_commits: bool  # whether concurrent writers should share one transaction
    path: str | None  # the database's file (SQLite), or None for a server (PostgreSQL)
    # Seconds a write waits for another writer's lock (or a connection), then fails as busy.
    write_wait: float

    @abstractmethod
    def session(self) -> AbstractContextManager[Session]:
        """A connection whose statements each commit on their own (reads, one-line writes)."""

    @abstractmethod
    def unsynced(self, wait: float) -> AbstractContextManager[Session]:
        """A connection whose commits do not wait for the disk, for what may be forgotten
        after a crash (never corrupted); what it writes is committed by the end of the block.
        It waits at most `wait` seconds for a connection or a lock, then fails as busy."""

    @abstractmethod
    def transaction(self, wait: float | None = None) -> AbstractContextManager[Session]:
        """A write transaction: committed on exit, rolled back on an exception.

        `wait`: at most this long to begin it, instead of `write_wait` (what is left of it)."""

    @abstractmethod
    def migrate(self) -> None:
        """Apply the pending migrations; safe when several processes start at once."""

    @abstractmethod
    def applied_migrations(self) -> list[str]:
        """The names of the migrations this database has, in order."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The store's tables (not the migration records), sorted."""

    @abstractmethod
    def backup(self, target: Path) -> None:
        """A consistent copy of the live database in the file `target`."""

    @abstractmethod
    def release(self) -> None:
        """Let go of the calling thread's own connection, if it has one."""

    @abstractmethod
    def close(self) -> None:
        """Close the calling thread's connection (SQLite) or every connection (PostgreSQL)."""

    @property
    @abstractmethod
    def label(self) -> str:
        """Where the database is, for messages: a path, or a URL without its password."""


def one_line(error: BaseException) -> str:
    """An error's own message on one line, for messages and logs (its type if it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
