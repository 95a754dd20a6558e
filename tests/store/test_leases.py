"""Named leases in the store: the runner's and each workspace's fan-out, one mechanism."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from store import Store
from store.leases import Lease, fanout_lease
from store.migrations import migrations
from store.migrations_pg import MIGRATIONS_TABLE
from tests.store import execute

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC).timestamp()
T = "T1"


def test_one_holder_at_a_time_and_a_lapsed_lease_is_taken_over(store: Store) -> None:
    first = store.take_lease("runner", "h1:1", now=100.0, ttl=30.0)
    assert first == Lease("runner", "h1:1", 130.0, taken_from=None)
    assert store.take_lease("runner", "h2:2", now=110.0, ttl=30.0) == Lease("runner", "h1:1", 130.0)
    renewed = store.take_lease("runner", "h1:1", now=120.0, ttl=30.0)
    assert renewed == Lease("runner", "h1:1", 150.0, taken_from=None)
    assert store.take_lease("runner", "h2:2", now=149.9, ttl=30.0).holder == "h1:1"
    taken = store.take_lease("runner", "h2:2", now=150.1, ttl=30.0)
    assert taken.holder == "h2:2" and taken.taken_from == "h1:1"
    assert store.take_lease("runner", "h1:1", now=151.0, ttl=30.0).holder == "h2:2", "no way back"


def test_a_released_lease_is_free_at_once_and_only_its_holder_releases_it(store: Store) -> None:
    assert store.take_lease("runner", "h1:1", now=100.0, ttl=30.0).holder == "h1:1"
    assert not store.release_lease("runner", "h2:2")
    assert store.release_lease("runner", "h1:1")
    taken = store.take_lease("runner", "h2:2", now=101.0, ttl=30.0)
    assert taken.holder == "h2:2" and taken.taken_from is None
    lease = store.lease("runner")
    assert lease is not None and lease.holder == "h2:2"


def test_leases_of_other_names_are_independent(store: Store) -> None:
    assert store.take_lease("runner", "h1:1", now=100.0, ttl=30.0).holder == "h1:1"
    assert store.take_lease(fanout_lease(T), "h2:2", now=100.0, ttl=30.0).holder == "h2:2"
    assert store.take_lease(fanout_lease("T2"), "h3:3", now=100.0, ttl=30.0).holder == "h3:3"
    assert store.lease_holder("runner", 101.0) == "h1:1"


def test_a_fanout_lease_is_renewed_by_its_holder_only_and_taken_from_the_dead(
    store: Store,
) -> None:
    name = fanout_lease(T)
    assert store.take_lease(name, "a:1", NOW, 30).holder == "a:1"
    assert store.take_lease(name, "b:2", NOW + 1, 30).holder == "a:1"
    assert store.take_lease(name, "a:1", NOW + 2, 30).holder == "a:1"  # renewed by its holder
    assert store.renew_lease(name, "a:1", NOW + 3, 30)
    assert not store.renew_lease(name, "b:2", NOW + 3, 30)
    assert store.lease_holder(name, NOW + 10) == "a:1"
    assert store.take_lease(name, "b:2", NOW + 10, 30, dead="x:9").holder == "a:1", "not a's"
    taken = store.take_lease(name, "b:2", NOW + 10, 30, dead="a:1")  # a died
    assert taken.holder == "b:2" and taken.taken_from == "a:1"
    assert store.take_lease(name, "c:3", NOW + 41, 30).holder == "c:3"  # b's lapsed
    assert store.lease_holder(name, NOW + 42) == "c:3"
    store.release_lease(name, "c:3")
    assert store.lease_holder(name, NOW + 42) is None


def test_hosts_asking_for_a_free_lease_at_once_get_one_holder(database: str) -> None:
    hosts = [Store(database) for _ in range(8)]
    barrier = threading.Barrier(8)
    holders: list[str] = []

    def take(n: int) -> None:
        barrier.wait()
        holders.append(hosts[n].take_lease(fanout_lease(T), f"h:{n}", NOW, 30).holder)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        winner = hosts[0].lease_holder(fanout_lease(T), NOW)
        assert winner is not None
        assert holders == [winner] * 8, "the winner took it; every other was told who holds it"
    finally:
        for host in hosts:
            host.close()


def as_before_one_leases_table(store: Store) -> None:
    """The database as the version before m015 left it: fan-out leases in a table of their own."""
    with store.backend.session() as session:
        session.execute(
            "create table fanout_leases (team_id text primary key, owner text not null, "
            "expires_at float not null, taken_at float)"
        )
        if store.kind == "sqlite":
            session.execute(
                f"delete from {migrations.migrations_table} where name = ?",
                ["m015_one_leases_table"],
            )
        else:
            session.execute(
                f"delete from {MIGRATIONS_TABLE} where name = ?", ["m015_one_leases_table"]
            )


def test_upgrading_keeps_a_running_fanout_and_the_runner_under_their_leases(store: Store) -> None:
    as_before_one_leases_table(store)
    execute(
        store,
        "insert into fanout_leases (team_id, owner, expires_at, taken_at) values (?, ?, ?, ?)",
        (T, "a:1", NOW + 30, NOW),
    )
    assert store.take_lease("runner", "r:1", NOW, 30).holder == "r:1"
    claimed = datetime.fromtimestamp(NOW, UTC)
    assert store.claim_delivery(
        T, "C1", "2026-W48", role="teacher", ref="1.7", round=1, owner="a:1", now=claimed
    )

    store.migrate()

    assert "fanout_leases" not in store.backend.tables()
    name = fanout_lease(T)
    assert store.lease_holder(name, NOW + 1) == "a:1"
    assert store.take_lease(name, "b:2", NOW + 1, 30).holder == "a:1", "the run under way"
    assert store.renew_lease(name, "a:1", NOW + 2, 30)
    assert store.unconfirmed(T, NOW + 2) == [], "its claim is in flight, not left behind"
    assert store.lease_holder("runner", NOW + 1) == "r:1"
