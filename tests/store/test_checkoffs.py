"""Check-offs in the store: reactions, retried events, concurrent writers, the export query."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from store import Store
from store.checkoffs import EVENT_MEMORY_SECONDS, ReactionChange
from store.migrations import migrations
from tests.store import table

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
T, C, TS = "T1", "C1", "1700000000.000100"


@pytest.fixture
def store(database: str) -> Iterator[Store]:
    store = Store(database)
    store.subscribe(T, C, "teacher", (), "U0", "2026-W48", NOW)
    assert store.claim_delivery(
        T, C, "2026-W48", role="teacher", ref="1.7", round=1, owner="test", now=NOW
    )
    store.confirm_delivery(T, C, "2026-W48", TS, NOW)
    yield store
    store.close()


def change(
    user: str = "U1",
    emoji: str = "white_check_mark",
    added: bool = True,
    ts: str = TS,
    ref: str = "1.7",
    at: float = 0.0,
) -> ReactionChange:
    """`at`: Slack's time for the event, in seconds (0: no time, arrival order decides)."""
    return ReactionChange(T, C, ts, ref, user, emoji, added, NOW, int(at), at)


@pytest.mark.parametrize(
    ("steps", "outcomes", "checked"),
    [
        ([change()], ["checked"], ["U1"]),
        ([change(), change()], ["checked", "unchanged"], ["U1"]),
        ([change(), change(emoji="heavy_check_mark")], ["checked", "unchanged"], ["U1"]),
        ([change(), change(added=False)], ["checked", "unchecked"], []),
        (
            [change(), change(emoji="heavy_check_mark"), change(added=False)],
            ["checked", "unchanged", "unchanged"],
            ["U1"],
        ),
        ([change(added=False)], ["unchanged"], []),
        ([change(), change(user="U2")], ["checked", "checked"], ["U1", "U2"]),
    ],
)
def test_reactions_make_one_completion_per_user_and_move(
    store: Store, steps: list[ReactionChange], outcomes: list[str], checked: list[str]
) -> None:
    got = [store.record_reaction(step, None, NOW.timestamp()) for step in steps]
    assert got == outcomes
    assert sorted(store.checked_by(T, C, "1.7")) == checked
    assert store.checkoff_count(T, C, "1.7") == len(checked)


def test_a_check_emoji_on_another_nudge_of_the_same_move_keeps_the_completion(
    store: Store,
) -> None:
    store.record_reaction(change(ts="1700000000.000200"), None, 0)
    store.record_reaction(change(), None, 0)
    assert store.record_reaction(change(added=False), None, 0) == "unchanged"
    assert store.checked_by(T, C, "1.7") == ["U1"]


def test_an_event_id_counts_once(store: Store) -> None:
    assert store.record_reaction(change(), "Ev1", 0) == "checked"
    assert store.record_reaction(change(added=False), "Ev2", 0) == "unchecked"
    # Slack retries the add after the remove: it must not come back.
    assert store.record_reaction(change(), "Ev1", 0) == "duplicate"
    assert store.checked_by(T, C, "1.7") == []


# (Slack's event time, added?) in the order they arrive; whether the move ends checked off.
ORDERS = {
    "in order": ([(10.1, True), (20.2, False)], False),
    "remove first, then the earlier add": ([(20.2, False), (10.1, True)], False),
    "add, remove, re-add, arriving backwards": ([(30.0, True), (20.0, False), (10.0, True)], True),
    "same second, microseconds decide": ([(10.9, False), (10.1, True)], False),
    "remove, then a later add": ([(20.0, False), (30.0, True)], True),
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_the_latest_event_by_slacks_time_decides_whatever_the_arrival_order(
    store: Store, order: str
) -> None:
    steps, checked = ORDERS[order]
    for n, (at, added) in enumerate(steps):
        store.record_reaction(change(added=added, at=at), f"Ev{n}", NOW.timestamp())
    assert store.checked_by(T, C, "1.7") == (["U1"] if checked else [])


def test_a_mark_done_on_app_home_outlives_a_reaction_added_and_removed(store: Store) -> None:
    assert store.record_checkoff(T, C, "1.7", "U1", NOW, TS)
    store.record_reaction(change(at=10.0), "Ev1", 0)
    assert store.record_reaction(change(added=False, at=20.0), "Ev2", 0) == "unchanged"
    assert store.checked_by(T, C, "1.7") == ["U1"]
    assert store.user_checkoffs(T, "U1")[0].by_home


def test_undo_on_app_home_takes_back_only_its_own_mark_done(store: Store) -> None:
    store.record_reaction(change(at=10.0), "Ev1", 0)
    assert not store.record_checkoff(T, C, "1.7", "U1", NOW, TS)  # already checked off
    assert not store.remove_checkoff(T, C, "1.7", "U1", NOW)  # the ✅ still holds it
    assert store.checked_by(T, C, "1.7") == ["U1"]
    assert not store.user_checkoffs(T, "U1")[0].by_home
    assert store.record_reaction(change(added=False, at=20.0), "Ev2", 0) == "unchecked"
    assert store.checked_by(T, C, "1.7") == []


def test_event_ids_are_forgotten_after_a_day(store: Store) -> None:
    store.record_reaction(change(), "Ev-old", 1000.0)
    store.record_reaction(change(user="U2"), "Ev-new", 1000.0 + EVENT_MEMORY_SECONDS + 700)
    assert [r["event_id"] for r in table(store, "processed_events")] == ["Ev-new"]


def test_concurrent_writers_leave_one_record(store: Store) -> None:
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def react(n: int) -> None:
        barrier.wait()
        for i in range(20):
            # Half are retries of the same events, half new events for the same completion.
            outcome = store.record_reaction(change(), f"Ev{(n * 20 + i) % 40}", NOW.timestamp())
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=react, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("checked") == 1
    assert outcomes.count("duplicate") == 16 * 20 - 40
    assert len(table(store, "checkoffs")) == 1


def test_button_checkoffs_and_undo(store: Store) -> None:
    assert store.record_checkoff(T, C, "1.7", "U1", NOW, TS)
    assert not store.record_checkoff(T, C, "1.7", "U1", NOW + timedelta(hours=1), TS)
    assert [c.checked_at for c in store.user_checkoffs(T, "U1")] == [NOW.isoformat()]
    assert store.remove_checkoff(T, C, "1.7", "U1", NOW)
    assert not store.remove_checkoff(T, C, "1.7", "U1", NOW)


def test_export_rows_carry_the_role_and_campus(store: Store) -> None:
    store.record_reaction(change(), None, 0)
    store.record_checkoff(T, "C-gone", "2.8", "U2", NOW)  # no delivery, no subscription
    rows = list(store.all_checkoffs())
    assert [(r.channel_id, r.ref, r.user_id, r.role, r.campus) for r in rows] == [
        ("C-gone", "2.8", "U2", None, None),
        ("C1", "1.7", "U1", "teacher", "District"),  # no campus named or proposed yet
    ]
    store.set_campus(T, C, "Lincoln Elementary")
    assert [r.campus for r in store.all_checkoffs(T)] == [None, "Lincoln Elementary"]
    assert list(store.all_checkoffs("T-other")) == []


def test_an_empty_team_id_exports_no_workspace_not_every_one(store: Store) -> None:
    store.record_checkoff(T, C, "1.7", "U1", NOW, TS)
    store.record_checkoff("T-other", "C9", "2.8", "U2", NOW)
    assert list(store.all_checkoffs("")) == []
    assert len(list(store.all_checkoffs())) == 2


def test_bots_are_remembered(store: Store) -> None:
    assert store.known_bot(T, "UB") is None
    store.remember_user(T, "UB", True, NOW)
    store.remember_user(T, "UH", False, NOW)
    assert store.known_bot(T, "UB") is True
    assert store.known_bot(T, "UH") is False


def test_user_channels_and_counts(store: Store) -> None:
    store.record_reaction(change(), None, 0)
    store.record_reaction(change(user="U2"), None, 0)
    store.record_checkoff(T, "C2", "1.8", "U1", NOW)
    assert store.user_channels(T, "U1") == ["C1", "C2"]
    assert store.checkoff_counts(T) == {("C1", "1.7"): 2, ("C2", "1.8"): 1}
    assert store.checkoff_counts(T, "C2") == {("C2", "1.8"): 1}


def test_an_add_and_a_remove_racing_on_two_hosts_leave_a_consistent_state(
    database: str,
) -> None:
    """One person adds one check emoji while removing another, each through its own store (as
    two hosts would): the completion stays exactly when a check emoji is still on."""
    hosts = [Store(database), Store(database)]
    try:
        for n in range(60):
            user = f"UR{n}"
            hosts[0].record_reaction(change(user=user, emoji="heavy_check_mark"), None, 0)
            barrier = threading.Barrier(2)

            def apply(host: Store, step: ReactionChange, barrier: threading.Barrier) -> None:
                barrier.wait()
                host.record_reaction(step, None, 0)

            steps = [change(user=user), change(user=user, emoji="heavy_check_mark", added=False)]
            threads = [
                threading.Thread(target=apply, args=(host, step, barrier))
                for host, step in zip(hosts, steps, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert user in hosts[1].checked_by(T, C, "1.7"), f"round {n}: completion lost"
    finally:
        for host in hosts:
            host.close()


def test_completions_recorded_before_the_upgrade_keep_their_source(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m011_slack_order_reaction_order")
    rows = [("U1", "1.7"), ("U2", "1.7")]
    for user, ref in rows:
        db.table("checkoffs").insert(
            {"team_id": T, "channel_id": C, "ref": ref, "user_id": user, "message_ts": TS}
        )
    # U1 reacted; U2 pressed Mark done on App Home.
    db.table("checkoff_reactions").insert(
        {"team_id": T, "channel_id": C, "ts": TS, "user_id": "U1", "emoji": "white_check_mark"}
        | {"ref": "1.7", "reacted_at": NOW.isoformat()}
    )
    db.close()
    store = Store(tmp_path / "old.db")
    try:
        assert store.record_reaction(change(user="U1", added=False), None, 0) == "unchecked"
        assert store.record_reaction(change(user="U2"), None, 0) == "unchanged"
        assert store.record_reaction(change(user="U2", added=False), None, 0) == "unchanged"
        assert store.checked_by(T, C, "1.7") == ["U2"]
    finally:
        store.close()
