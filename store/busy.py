"""A write that found another process holding the database's write lock for too long."""

from __future__ import annotations

import sqlite3

import psycopg
from psycopg_pool import PoolTimeout

from store.backend import StoreError, one_line


class StoreBusy(Exception):
    """The database is locked by another writer (a backup, a second tool): try again soon.

    For a backend whose own error says nothing of a lock; SQLite's `OperationalError`
    ("database is locked") counts as busy as it is."""


def is_busy(error: BaseException) -> bool:
    """True for a write that gave up waiting for the lock (`StoreBusy` or SQLite's own), or
    on PostgreSQL for a row lock past `lock_timeout`, a deadlock PostgreSQL broke, or no
    pooled connection free in time: each may succeed when tried again."""
    if isinstance(error, StoreBusy | PoolTimeout):
        return True
    if isinstance(error, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected):
        return True
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in str(error) or "busy" in str(error)
    )


def unavailable_reason(error: BaseException) -> str | None:
    """One line saying why the database could not be used (unreachable, locked, no connection
    in time), for errors that may pass by themselves; None for anything else (a bug)."""
    if not (
        is_busy(error)
        or isinstance(error, StoreError | psycopg.OperationalError | sqlite3.OperationalError)
    ):
        return None
    return one_line(error)


def is_database_error(error: BaseException) -> bool:
    """An error of the database or its driver (any, a bug's too): what was to be stored may
    not be."""
    return isinstance(error, StoreError | StoreBusy | PoolTimeout | psycopg.Error | sqlite3.Error)
