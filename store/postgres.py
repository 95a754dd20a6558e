"""PostgreSQL through psycopg 3: a pool of connections, migrations under an advisory lock.

For deployments whose processes share one database from several hosts. The store's SQL is
written once with `?` parameters; `translate` turns it into psycopg's `%s` style here, and
nowhere else.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from store.backend import (
    POOL_SIZE,
    WRITE_WAIT_SECONDS,
    Backend,
    Params,
    Session,
    StoreError,
    one_line,
    redact,
)
from store.migrations_pg import MIGRATIONS_TABLE, postgres_migrations

logger = logging.getLogger("progression_bot")

CONNECT_TIMEOUT_SECONDS = 10
# A connection back from the pool after this long idle is checked first (one empty query): a
# server restarted meanwhile has closed it, and a fresh one takes its place instead of the
# request failing. Under load connections come back much sooner and go out unchecked.
IDLE_CHECK_SECONDS = 1.0
# Any fixed number: every progression-bot process that migrates takes the same lock.
MIGRATION_LOCK = 0x70726F67  # "prog"

Connection = psycopg.Connection[DictRow]

# A quoted string or identifier (doubled quotes inside), or one character of anything else.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[^'\"]+|.", re.DOTALL)


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """`?` parameters to psycopg's `%s`; a literal `%` doubled so psycopg leaves it alone."""
    out = []
    for token in _TOKENS.findall(sql):
        token = token.replace("%", "%%")
        if not token.startswith(("'", '"')):
            token = token.replace("?", "%s")
        out.append(token)
    return "".join(out)


class PostgresSession(Session):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.connection.execute(translate(sql), list(params)).rowcount

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        return self.connection.execute(translate(sql), list(params)).fetchall()

    def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(translate(sql), [list(r) for r in rows])

    def lock(self, key: str) -> None:
        self.connection.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


# When each pooled connection was last given back. (Recorded here, not by the pool's `reset`
# hook: with one, the pool hands every returned connection to a worker thread, which cost a
# tenth of the check-off rate.)
_returned_at: WeakKeyDictionary[Connection, float] = WeakKeyDictionary()


def _check_if_idle(connection: Connection) -> None:
    """Raise if a connection idle for a while no longer works, so the pool replaces it."""
    returned = _returned_at.get(connection)
    if returned is None or time.monotonic() - returned >= IDLE_CHECK_SECONDS:
        ConnectionPool.check_connection(connection)


class PostgresBackend(Backend):
    kind = "postgresql"
    groups_commits = False

    def __init__(
        self,
        url: str,
        setting: str = "PROGRESSION_DB",
        *,
        write_wait: float = WRITE_WAIT_SECONDS,
        lazy: bool = False,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self.url = url
        self.path = None
        self.setting = setting
        self.write_wait = write_wait
        if not lazy:
            # One direct connection first: psycopg's own message (refused, unknown database,
            # bad password) is clearer than the pool's timeout.
            self._connect().close()
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "row_factory": dict_row},
            connection_class=psycopg.Connection[DictRow],
            configure=self._configure,
            check=_check_if_idle,
            # No connection free (or none to be had: the server is down) within the write
            # wait is busy, as a held lock is: the request still answers Slack in time.
            timeout=write_wait,
            open=False,
            name="progression-bot",
        )
        if lazy:
            self._pool.open(wait=False)  # connections come as the server takes them
            return
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except PoolTimeout:
            self._pool.close()
            raise StoreError(
                f"{self.setting}: PostgreSQL at {self.label} did not accept the pool's "
                f"connections within {CONNECT_TIMEOUT_SECONDS} s"
            ) from None

    @property
    def label(self) -> str:
        return redact(self.url)

    def _configure(self, connection: Connection) -> None:
        # A writer blocked on another's row lock gives up after `write_wait`, as SQLite's
        # busy_timeout does: a request still answers Slack in time (store.busy.is_busy).
        connection.execute(f"set lock_timeout = {int(self.write_wait * 1000)}")

    def _connect(self) -> Connection:
        try:
            return psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
            )
        except psycopg.Error as error:
            raise StoreError(
                f"{self.setting}: cannot connect to PostgreSQL at {self.label}: {one_line(error)}"
            ) from None

    @contextmanager
    def _connection(self, wait: float | None = None) -> Iterator[Connection]:
        with self._pool.connection(timeout=wait) as connection:
            try:
                yield connection
            finally:
                _returned_at[connection] = time.monotonic()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._connection() as connection:
            yield PostgresSession(connection)

    @contextmanager
    def unsynced(self, wait: float) -> Iterator[Session]:
        with self._connection(wait) as connection, connection.transaction():
            # The commit returns before its WAL record is flushed (the server stays
            # consistent; a crash may lose the last moments of these writes only).
            connection.execute(
                "select set_config('synchronous_commit', 'off', true), "
                "set_config('lock_timeout', %s, true)",
                [f"{int(wait * 1000)}ms"],
            )
            yield PostgresSession(connection)

    @contextmanager
    def transaction(self, wait: float | None = None) -> Iterator[Session]:
        """`wait` bounds the wait for a pooled connection: PostgreSQL has no lock on the whole
        database to begin with, and a row lock waits `write_wait` (`lock_timeout`)."""
        with self._connection(wait) as connection, connection.transaction():
            yield PostgresSession(connection)

    def migrate(self) -> None:
        """Each migration in its own transaction with its record; the advisory lock makes a
        second process starting at the same moment wait, then find nothing left to do."""
        with self._connect() as connection:
            connection.execute("select pg_advisory_lock(%s)", [MIGRATION_LOCK])
            try:
                connection.execute(
                    f"create table if not exists {MIGRATIONS_TABLE} "
                    "(name text primary key, applied_at timestamptz not null default now())"
                )
                applied = connection.execute(f"select name from {MIGRATIONS_TABLE}").fetchall()
                done = {r["name"] for r in applied}
                for migration in postgres_migrations:
                    if migration.name in done:
                        continue
                    with connection.transaction():
                        for statement in migration.statements:
                            connection.execute(statement)
                        connection.execute(
                            f"insert into {MIGRATIONS_TABLE} (name) values (%s)", [migration.name]
                        )
                    logger.info("PostgreSQL migration %s applied", migration.name)
            finally:
                connection.execute("select pg_advisory_unlock(%s)", [MIGRATION_LOCK])

    def applied_migrations(self) -> list[str]:
        with self.session() as session:
            rows = session.rows(f"select name from {MIGRATIONS_TABLE} order by applied_at, name")
        return [r["name"] for r in rows]

    def tables(self) -> list[str]:
        with self.session() as session:
            rows = session.rows(
                "select table_name as name from information_schema.tables "
                "where table_schema = current_schema() and table_type = 'BASE TABLE' "
                "and table_name <> ?",
                [MIGRATIONS_TABLE],
            )
        return sorted(r["name"] for r in rows)

    def backup(self, target: Path) -> None:
        raise StoreError(
            f"backup copies a SQLite database; PROGRESSION_DB is PostgreSQL ({self.label}): "
            f"use pg_dump, e.g. pg_dump --format=custom --file={target} DATABASE"
        )

    def release(self) -> None:
        """Connections go back to the pool after each unit of work: nothing is held."""

    def close(self) -> None:
        self._pool.close()
