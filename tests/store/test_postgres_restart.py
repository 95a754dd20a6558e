"""A PostgreSQL server restarted under a running app closes every pooled connection; the next
request must get a working one, not fail on a dead one."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
import pytest

import store.postgres
from store import Store
from store.busy import is_busy
from store.checkoffs import ReactionChange
from tests.postgres import server_url

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SLACK_PATIENCE = 2.9  # Slack gives up on an answer after 3 seconds


def _close_every_connection_but_this(admin: psycopg.Connection, database: str) -> int:
    """What a restart does to the app's connections: the server ends them."""
    ended = admin.execute(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity "
        "where datname = %s and pid <> pg_backend_pid()) as t",
        [database],
    ).fetchone()
    assert ended is not None
    return int(ended[0])


def test_after_the_server_closed_the_pool_the_next_write_goes_through(
    postgres_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every connection counts as idle: the test need not wait out IDLE_CHECK_SECONDS.
    monkeypatch.setattr(store.postgres, "IDLE_CHECK_SECONDS", 0.0)
    app = Store(postgres_target)
    database = postgres_target.rsplit("/", 1)[1]
    try:
        first = ReactionChange("T1", "C1", "1.1", "1.7", "U1", "white_check_mark", True, NOW)
        assert app.record_reaction(first, "Ev1", 0) == "checked"
        with psycopg.connect(postgres_target, autocommit=True) as admin:
            assert _close_every_connection_but_this(admin, database) >= 1
        second = ReactionChange("T1", "C1", "1.1", "1.7", "U2", "white_check_mark", True, NOW)
        assert app.record_reaction(second, "Ev2", 0) == "checked"
        with app.backend.session() as session:
            assert session.value("select count(*) from checkoffs") == 2
    finally:
        app.close()


def test_while_the_server_takes_no_connections_a_write_is_busy_in_time_then_goes_through(
    postgres_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.postgres, "IDLE_CHECK_SECONDS", 0.0)
    app = Store(postgres_target, write_wait=0.5)
    database = postgres_target.rsplit("/", 1)[1]
    change = ReactionChange("T1", "C1", "1.1", "1.7", "U1", "white_check_mark", True, NOW)
    with psycopg.connect(server_url(), autocommit=True) as admin:
        try:
            # The server down, as the app sees it: its connections gone, no new one taken.
            admin.execute(f'alter database "{database}" with allow_connections false')
            _close_every_connection_but_this(admin, database)
            asked = time.monotonic()
            with pytest.raises(Exception) as error:
                app.record_reaction(change, "Ev1", 0)
            assert is_busy(error.value)  # "busy, try again"; Slack retries an event
            assert time.monotonic() - asked < SLACK_PATIENCE
        finally:
            admin.execute(f'alter database "{database}" with allow_connections true')
    try:
        # Slack's retry, once the server is back (the pool reconnects with a short backoff).
        deadline = time.monotonic() + 30
        while True:
            try:
                assert app.record_reaction(change, "Ev1", 0) == "checked"
                break
            except Exception as retried:
                assert is_busy(retried) and time.monotonic() < deadline
    finally:
        app.close()
