"""A real PostgreSQL server for the tests, in databases of their own, created and dropped here.

`PROGRESSION_TEST_POSTGRES` names a server the tests may create databases on (`.ci/run` sets
it and starts the server). Without it, the tests look for the usual local one themselves
(`postgresql://postgres@127.0.0.1:5432/postgres`); when none answers there either, the
PostgreSQL half of each test skips and says how to run it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from store import Store

POSTGRES_ENV = "PROGRESSION_TEST_POSTGRES"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ENABLE_HINT = (
    f"PostgreSQL tests need a server: none answers at {DEFAULT_SERVER}; start one there, or "
    f"set {POSTGRES_ENV} to a server's URL (a role that may create databases), as .ci/run does"
)
DATABASE_PREFIX = "progression_test_"


@cache
def _default_server_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(DEFAULT_SERVER, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def server_url() -> str:
    """The admin URL from the environment, else the usual local server when it answers; or
    skip the test with how to enable it."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    if _default_server_answers():
        return DEFAULT_SERVER
    pytest.skip(ENABLE_HINT)


def database_url(admin_url: str, name: str) -> str:
    return urlsplit(admin_url)._replace(path="/" + name).geturl()


def _admin(admin_url: str) -> object:
    import psycopg

    try:
        return psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split())
        pytest.fail(f"{POSTGRES_ENV} is set but the server does not answer: {reason}")


@contextmanager
def fresh_database(admin_url: str | None = None) -> Iterator[str]:
    """A new, empty database with a name no one else uses; dropped afterwards."""
    import psycopg

    admin_url = admin_url or server_url()
    name = f"{DATABASE_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    admin = _admin(admin_url)
    assert isinstance(admin, psycopg.Connection)
    with admin:
        admin.execute(f'create database "{name}"')
        try:
            yield database_url(admin_url, name)
        finally:
            admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One migrated database for the session's tests; `postgres_target` empties it for each."""
    with fresh_database() as url:
        Store(url).close()  # migrated once
        yield url


@pytest.fixture
def postgres_target(postgres_database: str) -> str:
    """The session's PostgreSQL database, every store table emptied, no trigger left."""
    store = Store(postgres_database)
    try:
        tables = ", ".join(f'"{t}"' for t in store.backend.tables())
        with store.backend.session() as session:
            session.execute(f"truncate table {tables}")
            # Faults a test injected (tests/store.fail_updates) end with it.
            for trigger in session.rows(
                "select t.tgname as name, c.relname as on_table from pg_trigger t "
                "join pg_class c on c.oid = t.tgrelid where not t.tgisinternal"
            ):
                session.execute(f'drop trigger "{trigger["name"]}" on "{trigger["on_table"]}"')
    finally:
        store.close()
    return postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What `PROGRESSION_DB` would hold, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "progression.db")
    url: str = request.getfixturevalue("postgres_target")
    return url
