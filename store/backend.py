"""What the store needs of a database, written once for SQLite and PostgreSQL.

The store's named operations are SQL that both databases speak (`INSERT … ON CONFLICT`,
`RETURNING`, `?` parameters); a backend runs it. SQLite is the embedded default (a file, no
set-up); PostgreSQL is for deployments whose processes run on several hosts.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
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

POSTGRES_SCHEMES = ("postgresql", "postgres")
SQLITE_PREFIX = "sqlite:///"
_TWO_SLASHES = re.compile(r"sqlite://([^/].*)", re.IGNORECASE | re.DOTALL)


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

    @abstractmethod
    def session(self) -> AbstractContextManager[Session]:
        """A connection whose statements each commit on their own (reads, one-line writes)."""

    @abstractmethod
    def unsynced(self, wait: float) -> AbstractContextManager[Session]:
        """A connection whose commits do not wait for the disk, for what may be forgotten
        after a crash (never corrupted); what it writes is committed by the end of the block.
        It waits at most `wait` seconds for a connection or a lock, then fails as busy."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Session]:
        """A write transaction: committed on exit, rolled back on an exception."""

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


@dataclass(frozen=True)
class Target:
    """Which database `PROGRESSION_DB` names."""

    kind: str  # "sqlite" or "postgresql"
    location: str  # a file path, or a PostgreSQL URL


def parse_target(value: Path | str, setting: str = "PROGRESSION_DB") -> Target:
    """A path or `sqlite:///path` is SQLite; `postgresql://…` (or `postgres://`) is PostgreSQL.

    `setting` is what the messages call the value (the setting, or a command's argument)."""
    text = str(value).strip()
    if text.startswith(SQLITE_PREFIX):
        path = text[len(SQLITE_PREFIX) :]  # as SQLAlchemy: sqlite:////abs/file, sqlite:///rel
        if not path:
            raise StoreError(f"{setting} {text!r} names no file: use sqlite:///progression.db")
        return Target("sqlite", path)
    if slip := _TWO_SLASHES.fullmatch(text):
        # sqlite://FILE names a host, FILE, and no file: the slip is a slash, not the scheme.
        raise StoreError(
            f"{setting} is {text!r}: a SQLite URL has three slashes, sqlite:///{slip[1]}, "
            f"or write the path alone, {slip[1]}"
        )
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(text)
        if not parts.hostname and "host=" not in parts.query:
            raise StoreError(
                f"{setting} {redact(text)!r} names no host: "
                "use postgresql://USER@HOST:5432/DATABASE"
            )
        return Target("postgresql", text)
    if scheme:
        raise StoreError(
            f"{setting} {redact(text)!r}: unknown scheme {scheme!r}; use a file path, "
            "sqlite:///FILE or postgresql://USER@HOST:5432/DATABASE"
        )
    if not text:
        raise StoreError(f"{setting} is empty: use a file path or a postgresql:// URL")
    return Target("sqlite", text)


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


def open_backend(
    value: Path | str,
    setting: str = "PROGRESSION_DB",
    *,
    create: bool = True,
    write_wait: float = WRITE_WAIT_SECONDS,
    lazy: bool = False,
) -> Backend:
    """The backend `PROGRESSION_DB` names, connected (raises `StoreError` in one line, or
    `DatabasePathError` for a file SQLite cannot use; `create=False`: only an existing one).
    `lazy`: PostgreSQL is not asked anything until first used."""
    target = parse_target(value, setting)
    if target.kind == "postgresql":
        from store.postgres import PostgresBackend  # psycopg only where it is used

        return PostgresBackend(target.location, setting, write_wait=write_wait, lazy=lazy)
    from store.paths import check_database_path
    from store.sqlite import SQLiteBackend

    check_database_path(target.location, create=create, setting=setting)
    return SQLiteBackend(target.location, write_wait=write_wait)
