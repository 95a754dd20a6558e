"""Check-offs in the store: reactions, retried events, concurrent writers, the export query."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store import Store
from store.checkoffs import EVENT_MEMORY_SECONDS, ReactionChange

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
T, C, TS = "T1", "C1", "1700000000.000100"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "p.db")
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
) -> ReactionChange:
    return ReactionChange(T, C, ts, ref, user, emoji, added, NOW)


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


def test_event_ids_are_forgotten_after_a_day(store: Store) -> None:
    store.record_reaction(change(), "Ev-old", 1000.0)
    store.record_reaction(change(user="U2"), "Ev-new", 1000.0 + EVENT_MEMORY_SECONDS + 700)
    rows = [r[0] for r in store.db.execute("select event_id from processed_events").fetchall()]
    assert rows == ["Ev-new"]


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
    assert store.db.execute("select count(*) from checkoffs").fetchone()[0] == 1


def test_button_checkoffs_and_undo(store: Store) -> None:
    assert store.record_checkoff(T, C, "1.7", "U1", NOW, TS)
    assert not store.record_checkoff(T, C, "1.7", "U1", NOW + timedelta(hours=1), TS)
    assert [c.checked_at for c in store.user_checkoffs(T, "U1")] == [NOW.isoformat()]
    assert store.remove_checkoff(T, C, "1.7", "U1", NOW)
    assert not store.remove_checkoff(T, C, "1.7", "U1", NOW)


def test_export_rows_carry_the_role(store: Store) -> None:
    store.record_reaction(change(), None, 0)
    store.record_checkoff(T, "C-gone", "2.8", "U2", NOW)  # no delivery, no subscription
    rows = list(store.all_checkoffs())
    assert [(r.channel_id, r.ref, r.user_id, r.role) for r in rows] == [
        ("C-gone", "2.8", "U2", None),
        ("C1", "1.7", "U1", "teacher"),
    ]
    assert list(store.all_checkoffs("T-other")) == []


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
