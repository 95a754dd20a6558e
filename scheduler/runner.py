"""The runner: the processes of a deployment that do the background work.

Any number of runners may start (one beside each `serve`, or `progression-bot runner` on
several hosts). Each workspace's weekly posts (its nudges, digest and reminders) are shared by
every running runner: whichever takes the workspace's own lease in the database posts them
(scheduler/lease.py), so two runners share a slot's workspaces, and one killed has its
workspaces taken over once their leases lapse. The rest (the outbox: re-arming, live counts,
look-ups, forgetting a workspace that left) is done by one runner alone, the one holding the
runner lease; the others wait as standbys and take over once it lapses.

Renewing is one thread, the outbox's work another, so a slow Slack call never delays a renewal.
The active runner stops that work as soon as it cannot renew (its `holds_lease()` turns false a
renewal before the lease can lapse), and gives the lease up when it stops cleanly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from scheduler.lease import this_owner
from store import Store
from store.busy import unavailable_reason
from store.leases import Lease
from store.outbox import Kind, Work

logger = logging.getLogger(__name__)

RUNNER_LEASE = "runner"
# The outbox work still done for a workspace that removed the app: arming (which takes its
# jobs away) and forgetting it once its retention is over. The rest would call Slack.
AFTER_DEPARTURE: frozenset[Kind] = frozenset({"arm", "forget"})
# Stepping down (a lost lease, a stop) waits this long for the work in progress (a Slack call
# of the outbox's) before going on without it: a runner never wedges on a slow Slack.
WORK_JOIN = 2.0
# While the database cannot be reached, its trouble is logged in one line when it starts and
# again this often while it lasts (not at every renewal and outbox look).
TROUBLE_EVERY = 60.0


@dataclass(frozen=True)
class LeaseTimes:
    renew_every: float = 5.0  # seconds between renewals
    ttl: float = 30.0  # a lease not renewed for this long may be taken over
    poll_every: float = 0.5  # seconds between looks at the outbox: re-arming within a second

    def __post_init__(self) -> None:
        if not 0 < self.renew_every < self.ttl / 2:
            raise ValueError("renew_every must be under half the ttl, so one late renewal is fine")


class Duty(Protocol):
    """One kind of outbox work."""

    def ready_at(self, work: Work, now: float) -> float:
        """When `work` may be done (now or later: coalescing, Slack's budgets)."""
        ...

    def do(self, work: Work, now: float) -> None: ...


@dataclass
class DueOncePerSeq:
    """When each piece of a duty's work is due, read once per seq: the runner asks `ready_at`
    of every pending row at each look at the outbox (every half second), and a row asked for
    again (a change) has a new seq. `forget` once the work is done: a row asked for anew
    after that starts at seq 1 again, and must not find the old answer."""

    _due: dict[Hashable, tuple[int, float | None]] = field(default_factory=dict)

    def due(self, key: Hashable, seq: int, read: Callable[[], float | None]) -> float | None:
        known = self._due.get(key)
        if known is None or known[0] != seq:
            known = self._due[key] = (seq, read())
        return known[1]

    def forget(self, key: Hashable) -> None:
        self._due.pop(key, None)


class Duties(Protocol):
    """What a runner runs: the work every running runner shares (each workspace's weekly posts,
    under that workspace's own lease), and what only the active one does (the outbox)."""

    def start_shared(self) -> None:
        """The runner started: it takes its share of the workspaces' weekly work."""
        ...

    def stop_shared(self) -> None:
        """The runner is stopping: within moments, whatever is in progress."""
        ...

    def start(self, taken_from: str | None) -> None:
        """Became active; `taken_from` is the runner whose lease lapsed, if any."""
        ...

    def stop(self) -> None:
        """Stop within moments, whatever is in progress (called from the renewing thread)."""
        ...

    @property
    def by_kind(self) -> Mapping[Kind, Duty]: ...


class Runner:
    def __init__(
        self,
        store: Store,
        duties: Duties,
        *,
        holder: str | None = None,
        times: LeaseTimes | None = None,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.duties = duties
        self.holder = holder or this_owner()
        self.times = times or LeaseTimes()
        self._wall = wall
        self._monotonic = monotonic
        self._valid_until = 0.0  # monotonic: past it, this runner must not act as active
        self._active = False
        self._stop = threading.Event()
        self._became_active = threading.Event()
        self._work_thread: threading.Thread | None = None
        self._trouble_lock = threading.Lock()
        self._trouble_logged: float | None = None  # monotonic, while the database is in trouble

    def holds_lease(self) -> bool:
        """Whether this runner may act: its lease is renewed and a renewal away from lapsing,
        and it is not stopping."""
        return self._active and not self._stop.is_set() and self._monotonic() < self._valid_until

    def run(self) -> None:
        """Renew (or wait for) the lease until `stop()`; then stop the duties, give it up."""
        logger.info("Runner %s started; waiting for the lease", self.holder)
        shared = False
        try:
            while not self._stop.is_set():
                shared = shared or self._start_shared()
                self._renew()
                self._stop.wait(self.times.renew_every)
        finally:
            self._step_down()
            if shared:
                self.duties.stop_shared()
            try:
                self.store.release_lease(RUNNER_LEASE, self.holder)
            except Exception:
                logger.exception("Could not give the runner lease up; it lapses by itself")
            self.store.release()  # this thread's connection; the store is its owner's to close
            logger.info("Runner %s stopped", self.holder)

    def stop(self) -> None:
        self._stop.set()

    def _start_shared(self) -> bool:
        """Take a share of the workspaces' weekly work; False (tried again at the next
        renewal) while the database cannot say what there is."""
        try:
            self.duties.start_shared()
        except Exception as error:
            self._database_trouble("Could not start the weekly work", error)
            return False
        return True

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wait_active(self, timeout: float) -> bool:
        return self._became_active.wait(timeout)

    # --- the lease --------------------------------------------------------------------

    def _renew(self) -> None:
        asked = self._monotonic()
        try:
            lease = self.store.take_lease(RUNNER_LEASE, self.holder, self._wall(), self.times.ttl)
            self._database_answers()
        except Exception as error:
            self._database_trouble("Could not renew the runner lease", error)
            lease = None
            if self.holds_lease():
                return  # still valid for a while: the next renewal may get through
        if lease is None or lease.holder != self.holder:
            if self._active:
                logger.warning("Runner %s lost the lease: standing by", self.holder)
                self._step_down()
            return
        # Counted from before the question, and a renewal short of the ttl.
        self._valid_until = asked + self.times.ttl - self.times.renew_every
        if not self._active:
            self._step_up(lease)
        elif self._work_thread is None or not self._work_thread.is_alive():
            self._start_work()  # it stopped while a renewal was late: the lease is ours again

    def _step_up(self, lease: Lease) -> None:
        logger.info(
            "Runner %s is active%s",
            self.holder,
            f" (took over from {lease.taken_from})" if lease.taken_from else "",
        )
        self._active = True
        self.duties.start(lease.taken_from)
        self._start_work()
        self._became_active.set()

    def _start_work(self) -> None:
        if self._work_thread is not None and self._work_thread.is_alive():
            return  # still finishing a piece of work from before a step down: it carries on
        self._work_thread = threading.Thread(target=self._work, name="runner-work", daemon=True)
        self._work_thread.start()

    def _step_down(self) -> None:
        """Stop acting within moments: the duties stop (bounded), the outbox's work in progress
        gets `WORK_JOIN` seconds. Never waits on anything that waits on this thread."""
        if not self._active:
            return
        self._active = False
        self.duties.stop()
        if self._work_thread is not None:
            self._work_thread.join(timeout=WORK_JOIN)
            if self._work_thread.is_alive():
                logger.warning(
                    "Runner %s: outbox work still waits on Slack; left to end", self.holder
                )

    # --- the outbox -------------------------------------------------------------------

    def _work(self) -> None:
        try:
            while self.holds_lease() and not self._stop.is_set():
                wait = self.work_once()
                self._stop.wait(wait)
        finally:
            self.store.release()

    def work_once(self) -> float:
        """Do the outbox's work that is due; the seconds until more may be."""
        soonest = self.times.poll_every
        for kind, duty in self.duties.by_kind.items():
            try:
                pending = self.store.pending_work(kind)
                if kind not in AFTER_DEPARTURE and pending:
                    gone = self.store.departed_teams()
                    pending = [w for w in pending if not self._dropped(w, gone)]
                self._database_answers()
            except Exception as error:
                self._database_trouble("Could not read the outbox", error)
                return soonest
            soonest = min(soonest, self._do(duty, pending))
        return max(0.01, soonest)

    def _dropped(self, work: Work, departed: set[str]) -> bool:
        """Work for a workspace that removed the app would call Slack with its dead token:
        finished undone (its data stays until the retention is over)."""
        if work.team_id not in departed:
            return False
        self.store.finish_work(work)
        return True

    def _do(self, duty: Duty, pending: list[Work]) -> float:
        soonest = self.times.poll_every
        for work in pending:
            if not self.holds_lease() or self._stop.is_set():
                break
            now = self._wall()
            at = duty.ready_at(work, now)
            if at > now:
                soonest = min(soonest, at - now)
                continue
            try:
                duty.do(work, now)
            except Exception as error:
                if unavailable_reason(error) is not None:
                    # The database, not the work: it stays in the outbox for the next look.
                    self._database_trouble(f"Outbox work {work.kind} waits", error)
                    return soonest
                # A bug in one piece of work must not stop the rest, nor come round forever.
                logger.exception("Outbox work %s for %s failed", work.kind, work.team_id)
            try:
                self.store.finish_work(work)
            except Exception as error:
                self._database_trouble("Could not mark outbox work done", error)
                return soonest  # done again at the next look: every kind may be done twice
        return soonest

    # --- the database's trouble, in few lines -----------------------------------------

    def _database_trouble(self, what: str, error: Exception) -> None:
        reason = unavailable_reason(error)
        if reason is None:
            logger.exception("%s", what)  # a bug: with its traceback
            return
        now = self._monotonic()
        with self._trouble_lock:
            if self._trouble_logged is not None and now - self._trouble_logged < TROUBLE_EVERY:
                return
            self._trouble_logged = now
        logger.warning("%s: %s (retrying)", what, reason)

    def _database_answers(self) -> None:
        with self._trouble_lock:
            was_in_trouble, self._trouble_logged = self._trouble_logged is not None, None
        if was_in_trouble:
            logger.info("Runner %s: the database answers again", self.holder)
