"""The runner's outbox, in the store: the work web workers hand over."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from progression.calendar import SchoolBreak, WeeklySlot
from store import Store
from store.checkoffs import ReactionChange

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
T, C, TS = "T1", "C1", "1700000000.000100"


def kinds(store: Store) -> list[tuple[str, str, str, int]]:
    return [(w.kind, w.team_id, w.subject, w.seq) for w in store.pending_work()]


def test_every_change_to_when_a_workspace_is_nudged_asks_to_re_arm_it(store: Store) -> None:
    store.set_schedule(T, WeeklySlot(1, time(7, 30), "UTC"), NOW)
    assert kinds(store) == [("arm", T, "", 1)]
    store.add_break(T, SchoolBreak(date(2026, 12, 21), date(2027, 1, 1)), "U0", NOW)
    store.remove_breaks(T, date(2026, 12, 21))
    store.subscribe(T, C, "teacher", (), "U0", "2026-W48", NOW)
    store.unsubscribe(T, C)
    assert kinds(store) == [("arm", T, "", 5)], "pending work is one row, its changes counted"


def test_work_finished_only_if_no_change_came_after_it_was_read(store: Store) -> None:
    store.set_schedule(T, WeeklySlot(1, time(7, 30), "UTC"), NOW)
    [work] = store.pending_work()
    store.set_schedule(T, WeeklySlot(2, time(7, 30), "UTC"), NOW)
    assert not store.finish_work(work), "a change came since: the work stays"
    [again] = store.pending_work()
    assert again.seq == 2 and again.created_at == work.created_at
    assert store.finish_work(again)
    assert store.pending_work() == []


def test_a_check_off_asks_for_its_live_count_and_a_retried_event_does_not(store: Store) -> None:
    store.subscribe(T, C, "teacher", (), "U0", "2026-W48", NOW)
    [arm] = store.pending_work()
    store.finish_work(arm)
    added = ReactionChange(T, C, TS, "1.7", "U1", "white_check_mark", True, NOW)
    assert store.record_reaction(added, "E1", 10.0, look_up_user=True) == "checked"
    assert store.record_reaction(added, "E1", 11.0, look_up_user=True) == "duplicate"
    assert store.record_reaction(added, "E2", 12.0) == "unchanged"
    assert kinds(store) == [("count", T, f"{C} {TS}", 1), ("user", T, "U1", 1)]
    assert store.record_checkoff(T, C, "1.7", "U2", NOW, TS)
    assert store.remove_checkoff(T, C, "1.7", "U2", NOW, TS)
    assert ("count", T, f"{C} {TS}", 3) in kinds(store)
