"""The weekly nudges' state in the store: schedules, breaks, subscriptions, deliveries."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

from progression.calendar import SchoolBreak, WeeklySlot
from store import Store
from store.leases import fanout_lease
from tests.store import table

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
T, WEEK = "T1", "2026-W48"


def claim(store: Store, channel: str, week: str = WEEK, owner: str = "host:1") -> bool:
    return store.claim_delivery(
        T, channel, week, role="teacher", ref="1.7", round=1, owner=owner, now=NOW
    )


def test_a_schedule_is_replaced_not_added(store: Store) -> None:
    assert store.schedule(T) is None
    store.set_schedule(T, WeeklySlot(0, time(8, 0), "UTC"), NOW)
    store.set_schedule(T, WeeklySlot(2, time(7, 30), "America/Chicago"), NOW)
    assert store.schedule(T) == WeeklySlot(2, time(7, 30), "America/Chicago")
    assert len(table(store, "schedules")) == 1
    assert store.teams() == [T]


def test_breaks_are_kept_once_in_date_order_and_removed_by_start(store: Store) -> None:
    winter = SchoolBreak(date(2026, 12, 21), date(2027, 1, 1))
    day = SchoolBreak(date(2026, 11, 26), date(2026, 11, 27))
    assert store.add_break(T, winter, "U1", NOW)
    assert not store.add_break(T, winter, "U1", NOW)
    assert store.add_break(T, day, "U1", NOW)
    assert store.breaks(T) == [day, winter]
    assert store.remove_breaks(T, date(2026, 12, 21), date(2027, 1, 2)) == []
    assert store.remove_breaks(T, date(2026, 12, 21)) == [winter]
    assert store.breaks(T) == [day]
    assert store.breaks("T-other") == []


def test_subscribing_again_reactivates_and_unsubscribing_keeps_history(store: Store) -> None:
    first = store.subscribe(T, "C1", "teacher", (2, 3), "U1", WEEK, NOW)
    assert (first.role, first.phases, first.active) == ("teacher", (2, 3), True)
    assert store.mark_inactive(T, "C1", "channel_not_found", NOW)
    assert not store.mark_inactive(T, "C1", "channel_not_found", NOW)  # reported once
    gone = store.subscription(T, "C1")
    assert gone is not None and (gone.active, gone.inactive_reason) == (
        False,
        "channel_not_found",
    )
    again = store.subscribe(T, "C1", "leader", (), "U2", "2026-W49", NOW + timedelta(days=1))
    assert (again.role, again.phases, again.active, again.inactive_reason) == (
        "leader",
        (),
        True,
        None,
    )
    assert claim(store, "C1")
    assert store.unsubscribe(T, "C1") == again
    assert store.unsubscribe(T, "C1") is None
    assert store.subscriptions(T) == []
    assert [d.week for d in store.deliveries(T, "C1")] == [WEEK]


def test_subscriptions_are_listed_in_the_order_they_came(store: Store) -> None:
    for n, channel in enumerate(["C3", "C1", "C2"]):
        store.subscribe(T, channel, "teacher", (), "U1", WEEK, NOW + timedelta(minutes=n))
    store.subscribe("T0", "C9", "leader", (), "U1", WEEK, NOW)
    assert [s.channel_id for s in store.subscriptions(T)] == ["C3", "C1", "C2"]
    assert [s.team_id for s in store.subscriptions()] == ["T0", T, T, T]
    assert store.teams() == ["T0", T]


def test_an_empty_team_id_is_no_workspace_not_every_one(store: Store) -> None:
    store.subscribe(T, "C1", "teacher", (), "U1", WEEK, NOW)
    store.subscribe("T0", "C9", "leader", (), "U1", WEEK, NOW)
    assert store.subscriptions("") == []
    assert len(store.subscriptions()) == 2


def test_a_week_is_claimed_once_confirmed_released_or_left_unconfirmed(store: Store) -> None:
    assert claim(store, "C1")
    assert not claim(store, "C1", owner="other:2")
    store.confirm_delivery(T, "C1", WEEK, "1700000000.000100", NOW)
    posted = store.delivery_by_ts(T, "C1", "1700000000.000100")
    assert posted is not None and (posted.state, posted.ref) == ("posted", "1.7")

    assert claim(store, "C2")
    store.release_delivery(T, "C2", WEEK)  # Slack said no: free again
    assert claim(store, "C2")
    store.mark_unconfirmed(T, "C2", WEEK)
    assert [d.channel_id for d in store.unconfirmed(T)] == ["C2"]
    store.release_delivery(T, "C2", WEEK)  # only a claim still sending is released
    assert not claim(store, "C2")
    assert store.delivered_channels(T, WEEK) == {"C1", "C2"}


def test_claims_left_sending_become_unconfirmed_and_show_while_no_run_holds_the_lease(
    store: Store,
) -> None:
    now = NOW.timestamp()
    assert claim(store, "C1", owner="host:1")
    assert store.take_lease(fanout_lease(T), "host:2", now, 30).holder == "host:2"
    assert store.unconfirmed(T, now) == []  # a run is under way: it is in flight
    assert store.take_lease("runner", "host:2", now, 30).holder == "host:2"
    store.release_lease(fanout_lease(T), "host:2")
    assert [d.state for d in store.unconfirmed(T, now)] == ["sending"]
    assert store.settle_orphans(T) == 1
    assert [(d.channel_id, d.state) for d in store.unconfirmed(T, now)] == [("C1", "unconfirmed")]


def test_concurrent_claims_of_one_week_have_one_winner(database: str) -> None:
    """Sixteen threads, each with its own store (as processes would be), race for 20 weeks."""
    stores = [Store(database) for _ in range(4)]
    barrier = threading.Barrier(16)
    won: list[tuple[str, int]] = []
    lock = threading.Lock()

    def race(n: int) -> None:
        store = stores[n % len(stores)]
        barrier.wait()
        for channel in range(20):
            if claim(store, f"C{channel}", owner=f"host:{n}"):
                with lock:
                    won.append((f"C{channel}", n))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert sorted(c for c, _ in won) == sorted(f"C{n}" for n in range(20))
        assert len(table(stores[0], "deliveries")) == 20
    finally:
        for store in stores:
            store.close()


def test_a_signed_request_is_seen_once_within_the_replay_window(store: Store) -> None:
    now = NOW.timestamp()
    assert store.first_sight_of_request("v0=abc", now)
    assert not store.first_sight_of_request("v0=abc", now + 1)
    assert store.first_sight_of_request("v0=def", now + 1)
    assert store.first_sight_of_request("v0=abc", now + 301)  # Slack refuses it by then
