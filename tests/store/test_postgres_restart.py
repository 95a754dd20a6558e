"""A PostgreSQL server restarted under a running app closes every pooled connection; the next
request must get a working one, not fail on a dead one."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

import store.postgres
from store import Store
from store.checkoffs import ReactionChange

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


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
