"""On PostgreSQL a write waits for another writer's lock as long as on SQLite (`write_wait`),
then fails as busy, so a request still answers Slack in time."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from store import Store
from store.busy import is_busy
from store.checkoffs import ReactionChange

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_a_write_held_up_past_write_wait_is_busy_then_goes_through(postgres_target: str) -> None:
    store = Store(postgres_target, write_wait=0.2)
    change = ReactionChange("T1", "C1", "1.1", "1.7", "U1", "white_check_mark", True, NOW)
    with psycopg.connect(postgres_target) as other:
        # Another host settling the same person's reaction to the same move, and slow.
        other.execute(
            "select pg_advisory_xact_lock(hashtextextended(%s, 0))", ["checkoff T1 C1 1.7 U1"]
        )
        with pytest.raises(psycopg.Error) as error:
            store.record_reaction(change, "Ev1", 0)
        assert is_busy(error.value)
    try:
        assert store.record_reaction(change, "Ev1", 0) == "checked"  # Slack's retry
    finally:
        store.close()
