"""The runner: one of several active under the lease, standbys taking over, outbox work done."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

import store.postgres
from scheduler.runner import RUNNER_LEASE, TROUBLE_EVERY, Duty, LeaseTimes, Runner
from store import Store
from store.busy import StoreBusy
from store.outbox import Kind, Work
from tests.postgres import server_url

FAST = LeaseTimes(renew_every=0.05, ttl=0.5, poll_every=0.02)


@dataclass
class Recorded:
    done: list[Work] = field(default_factory=list)
    done_event: threading.Event = field(default_factory=threading.Event)

    def ready_at(self, work: Work, now: float) -> float:
        return now

    def do(self, work: Work, now: float) -> None:
        self.done.append(work)
        self.done_event.set()


@dataclass
class FakeDuties:
    started: list[str | None] = field(default_factory=list)
    stopped: int = 0
    work: Recorded = field(default_factory=Recorded)
    shared: list[str] = field(default_factory=list)

    def start_shared(self) -> None:
        self.shared.append("started")

    def stop_shared(self) -> None:
        self.shared.append("stopped")

    def start(self, taken_from: str | None) -> None:
        self.started.append(taken_from)

    def stop(self) -> None:
        self.stopped += 1

    @property
    def by_kind(self) -> Mapping[Kind, Duty]:
        return {"arm": self.work}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    """One store for the test's process, as in production: runners on one host share it."""
    store = Store(tmp_path / "p.db")
    yield store
    store.close()


Running = list[tuple[Runner, FakeDuties, threading.Thread]]


@pytest.fixture
def running(db: Store) -> Iterator[Running]:
    started: Running = []
    yield started
    for runner, _, thread in started:
        runner.stop()
        thread.join(timeout=10)


def start(db: Store, name: str, running: Running) -> tuple[Runner, FakeDuties, threading.Thread]:
    duties = FakeDuties()
    runner = Runner(db, duties, holder=name, times=FAST)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    running.append((runner, duties, thread))
    return runner, duties, thread


def test_one_runner_is_active_and_a_standby_takes_over_when_it_stops(
    db: Store, running: Running
) -> None:
    first, first_duties, first_thread = start(db, "h:1", running)
    assert first.wait_active(10)
    second, second_duties, _ = start(db, "h:2", running)
    assert not second.wait_active(FAST.ttl * 2), "a standby while the lease is held"
    assert second_duties.started == []
    # Both take their share of the weekly work, active or not.
    assert first_duties.shared == second_duties.shared == ["started"]

    first.stop()
    first_thread.join(timeout=10)
    assert first_duties.started == [None] and first_duties.stopped == 1
    assert first_duties.shared == ["started", "stopped"]
    assert second.wait_active(10)
    assert second_duties.started == [None], "a lease given up cleanly is not a takeover"
    lease = db.lease(RUNNER_LEASE)
    assert lease is not None and lease.holder == "h:2"


def test_a_lapsed_lease_is_a_takeover_from_its_holder(db: Store, running: Running) -> None:
    db.take_lease(RUNNER_LEASE, "gone:99", now=0.0, ttl=1.0)  # lapsed long ago
    runner, duties, _ = start(db, "h:1", running)
    assert runner.wait_active(10)
    assert duties.started == ["gone:99"]


def test_the_active_runner_does_the_outbox_work(db: Store, running: Running) -> None:
    store = db
    runner, duties, _ = start(db, "h:1", running)
    assert runner.wait_active(10)
    store.request_work("arm", "T1", "", now=1.0)
    assert duties.work.done_event.wait(10)
    assert [(w.kind, w.team_id) for w in duties.work.done] == [("arm", "T1")]
    pause = threading.Event()
    for _ in range(100):  # finished right after it is done: poll the table, bounded
        if not store.pending_work():
            break
        pause.wait(0.05)
    assert store.pending_work() == []


def test_lease_times_must_leave_room_for_a_late_renewal() -> None:
    with pytest.raises(ValueError, match="renew_every"):
        LeaseTimes(renew_every=10, ttl=15)


@dataclass
class NeverReady(Recorded):
    def ready_at(self, work: Work, now: float) -> float:
        return now + 3600


@dataclass
class TwoKinds(FakeDuties):
    later: NeverReady = field(default_factory=NeverReady)

    @property
    def by_kind(self) -> Mapping[Kind, Duty]:
        return {"user": self.later, "count": self.work}


def test_a_backlog_of_one_kind_never_hides_the_work_of_another(db: Store, running: Running) -> None:
    store = db
    for n in range(600):  # look-ups waiting for Slack's budget, all older than the count
        store.request_work("user", "T1", f"U{n:04d}", now=float(n))
    store.request_work("count", "T1", "C1 1700000000.000001", now=1000.0)
    duties = TwoKinds()
    runner = Runner(store, duties, holder="h:1", times=FAST)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    running.append((runner, duties, thread))
    assert duties.work.done_event.wait(10)
    assert [w.kind for w in duties.work.done] == ["count"]
    assert duties.later.done == []


def test_a_late_renewal_pauses_the_work_and_the_next_one_resumes_it(
    db: Store, running: Running
) -> None:
    offset = [0.0]  # how far this runner's clock has jumped ahead (a process paused, say)
    duties = FakeDuties()
    runner = Runner(
        db, duties, holder="h:1", times=FAST, monotonic=lambda: time.monotonic() + offset[0]
    )
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    running.append((runner, duties, thread))
    assert runner.wait_active(10)
    offset[0] = FAST.ttl  # past the lease's validity until the next renewal
    assert not runner.holds_lease()
    db.request_work("arm", "T1", "", now=1.0)
    assert duties.work.done_event.wait(10), "the work resumed once the lease was renewed"
    assert runner.holds_lease() and duties.started == [None], "still the same active runner"


# --- the database in trouble ------------------------------------------------------------


@dataclass
class FailsOnce:
    """Outbox work whose first attempt finds the database locked by another process."""

    calls: list[Work] = field(default_factory=list)
    retried: threading.Event = field(default_factory=threading.Event)

    def ready_at(self, work: Work, now: float) -> float:
        return now

    def do(self, work: Work, now: float) -> None:
        self.calls.append(work)
        if len(self.calls) == 1:
            raise StoreBusy("database is locked")
        self.retried.set()


@dataclass
class FailingDuties(FakeDuties):
    failing: FailsOnce = field(default_factory=FailsOnce)

    @property
    def by_kind(self) -> Mapping[Kind, Duty]:
        return {"arm": self.failing}


def test_work_the_database_could_not_take_stays_in_the_outbox(
    db: Store, running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    duties = FailingDuties()
    runner = Runner(db, duties, holder="h:1", times=FAST)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    running.append((runner, duties, thread))
    assert runner.wait_active(10)
    db.request_work("arm", "T1", "", now=1.0)
    assert duties.failing.retried.wait(10), "the work came round again"
    assert [w.team_id for w in duties.failing.calls] == ["T1", "T1"]
    [line] = [r for r in caplog.records if "Outbox work arm waits" in r.getMessage()]
    assert "database is locked" in line.getMessage() and line.exc_info is None


def test_an_unreachable_database_is_one_line_while_it_lasts_and_one_when_it_answers(
    postgres_target: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(store.postgres, "IDLE_CHECK_SECONDS", 0.0)
    clock = [1000.0]
    app = Store(postgres_target, write_wait=0.2)
    runner = Runner(app, FakeDuties(), holder="h:1", times=FAST, monotonic=lambda: clock[0])
    database = postgres_target.rsplit("/", 1)[1]
    caplog.set_level(logging.INFO, logger="scheduler.runner")
    try:
        with psycopg.connect(server_url(), autocommit=True) as admin:
            admin.execute(f'alter database "{database}" with allow_connections false')
            try:
                admin.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                    [database],
                )
                for _ in range(5):  # five looks at the outbox, 2.5 s apart at the usual pace
                    runner.work_once()
                    clock[0] += 0.5
                clock[0] += TROUBLE_EVERY
                runner.work_once()  # a minute on: said once more
            finally:
                admin.execute(f'alter database "{database}" with allow_connections true')
        deadline = time.monotonic() + 30
        while not any("answers again" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the runner never saw the database again"
            runner.work_once()  # the pool reconnects with a short backoff
    finally:
        app.close()
    said = [r for r in caplog.records if r.name == "scheduler.runner"]
    trouble = [r for r in said if "Could not read the outbox" in r.getMessage()]
    assert len(trouble) == 2 and all(r.exc_info is None for r in said)
    assert "(retrying)" in trouble[0].getMessage()
    assert "answers again" in said[-1].getMessage()
