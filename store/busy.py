"""A write that found another process holding the database's write lock for too long.

psycopg is imported only where PostgreSQL is used (store/postgres.py), so the store works
without it. Its errors, and its pool's, are looked for once it is loaded: before that, no error
can be one of theirs.
"""

from __future__ import annotations

import sqlite3
import sys
from operator import attrgetter

from store.backend import StoreError, one_line


class StoreBusy(Exception):
    """The database is locked by another writer (a backup, a second tool): try again soon.

    For a backend whose own error says nothing of a lock; SQLite's `OperationalError`
    ("database is locked") counts as busy as it is."""


def is_busy(error: BaseException) -> bool:
    """True for a write that gave up waiting for the lock (`StoreBusy` or SQLite's own), or
    on PostgreSQL for a row lock past `lock_timeout`, a deadlock PostgreSQL broke, or no
    pooled connection free in time: each may succeed when tried again."""
    busy: tuple[type[BaseException], ...] = (
        StoreBusy,
        *_loaded("psycopg_pool", "PoolTimeout"),
        *_loaded("psycopg", "errors.LockNotAvailable", "errors.DeadlockDetected"),
    )
    if isinstance(error, busy):
        return True
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in str(error) or "busy" in str(error)
    )


def unavailable_reason(error: BaseException) -> str | None:
    """One line saying why the database could not be used (unreachable, locked, no connection
    in time), for errors that may pass by themselves; None for anything else (a bug)."""
    unavailable: tuple[type[BaseException], ...] = (
        StoreError,
        sqlite3.OperationalError,
        *_loaded("psycopg", "OperationalError"),
    )
    if not (is_busy(error) or isinstance(error, unavailable)):
        return None
    return one_line(error)


def is_database_error(error: BaseException) -> bool:
    """An error of the database or its driver (any, a bug's too): what was to be stored may
    not be."""
    database: tuple[type[BaseException], ...] = (
        StoreError,
        StoreBusy,
        sqlite3.Error,
        *_loaded("psycopg_pool", "PoolTimeout"),
        *_loaded("psycopg", "Error"),
    )
    return isinstance(error, database)


def _loaded(module: str, *names: str) -> tuple[type[BaseException], ...]:
    """The exception classes `names` of `module` once it is imported; none before."""
    found = sys.modules.get(module)
    return () if found is None else tuple(attrgetter(name)(found) for name in names)
