"""What Slack said about a person, kept a few minutes: on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from store import Store

T = "T0001"


def test_a_managers_status_is_remembered_with_when_slack_said_it(store: Store) -> None:
    assert store.remembered_manager(T, "U1") is None
    store.remember_manager(T, "U1", True, 100.0)
    assert store.remembered_manager(T, "U1") == (True, 100.0)
    assert store.remembered_manager(T, "U2") is None
    assert store.remembered_manager("T0002", "U1") is None, "one workspace's answer only"


def test_slacks_latest_answer_replaces_the_last(store: Store) -> None:
    store.remember_manager(T, "U1", True, 100.0)
    store.remember_manager(T, "U1", False, 400.0)
    assert store.remembered_manager(T, "U1") == (False, 400.0)


def test_another_process_sees_it(store: Store, database: str) -> None:
    store.remember_manager(T, "U1", True, 100.0)
    other = Store(database)
    try:
        assert other.remembered_manager(T, "U1") == (True, 100.0)
    finally:
        other.close()
