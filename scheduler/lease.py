"""Holding a workspace's fan-out lease while a fan-out runs: taken, renewed, released.

Whatever the number of processes or hosts on one database, one fan-out per workspace posts at a
time, so the workspace's pace (`PROGRESSION_POSTS_PER_MINUTE`) holds for the workspace and not
per process. A run that finds the lease held stops at once with `FanoutRunning`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from store import Store
from store.busy import unavailable_reason
from store.leases import fanout_lease

logger = logging.getLogger(__name__)

# The runner lease's default length (PROGRESSION_RUNNER_LEASE): a fan-out's lease follows the
# runner's, so a runner that takes over on another host finds a dead run's workspace free again
# within one more lease. Renewed four times per lease: a late renewal or two never loses it.
LEASE_SECONDS = 30.0


def this_owner() -> str:
    """Who holds leases and claims deliveries: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_alive(owner: str) -> bool:
    """Whether the process named "host:pid" may still be running. Only processes on this host
    can be checked; another host's count as alive (their leases expire instead)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


class FanoutRunning(Exception):
    """Another process holds the workspace's fan-out lease."""

    def __init__(self, team_id: str, holder: str) -> None:
        super().__init__(f"a fan-out for {team_id} is already running ({holder})")
        self.team_id, self.holder = team_id, holder


class FanoutLease:
    """`with FanoutLease(store, team, owner, clock):` holds the lease for the block, renewing
    it on a thread of its own; `held` turns False if it was lost (the holder stalled past its
    expiry and another run took over), and the run then claims nothing more."""

    def __init__(
        self,
        store: Store,
        team_id: str,
        owner: str,
        clock: Callable[[], datetime],
        *,
        seconds: float = LEASE_SECONDS,
        renew_every: float | None = None,
    ) -> None:
        self.store, self.team_id, self.owner, self.clock = store, team_id, owner, clock
        self.name = fanout_lease(team_id)
        self.seconds = seconds
        self.renew_every = seconds / 4 if renew_every is None else renew_every
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread: threading.Thread | None = None
        self._valid_until = 0.0  # monotonic

    @property
    def held(self) -> bool:
        """Taken, renewed in time, and a renewal short of lapsing."""
        return not self._lost.is_set() and time.monotonic() < self._valid_until

    def __enter__(self) -> FanoutLease:
        asked = time.monotonic()
        now = self.clock().timestamp()
        lease = self.store.take_lease(self.name, self.owner, now, self.seconds)
        if lease.holder != self.owner and not owner_is_alive(lease.holder):
            # Killed on this host: no need to wait for its lease to expire.
            logger.warning(
                "Taking over the fan-out lease of %s from %s", self.team_id, lease.holder
            )
            lease = self.store.take_lease(
                self.name, self.owner, now, self.seconds, dead=lease.holder
            )
        if lease.holder != self.owner:
            raise FanoutRunning(self.team_id, lease.holder)
        self._valid_until = asked + self.seconds - self.renew_every
        self._thread = threading.Thread(
            target=self._renew, name=f"lease-{self.team_id}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.store.release_lease(self.name, self.owner)
        except Exception as failure:
            reason = unavailable_reason(failure)
            if reason is None:
                raise
            # The run's report still counts; the lease lapses by itself.
            logger.warning("Could not give the fan-out lease of %s up: %s", self.team_id, reason)

    def _renew(self) -> None:
        try:
            while not self._stop.wait(self.renew_every):
                asked = time.monotonic()
                now = self.clock().timestamp()
                try:
                    renewed = self.store.renew_lease(self.name, self.owner, now, self.seconds)
                except Exception as error:
                    reason = unavailable_reason(error)
                    if reason is None:
                        raise
                    if self.held:  # not lapsed yet: the next renewal may get through
                        logger.warning(
                            "Could not renew the fan-out lease of %s (%s): trying again",
                            self.team_id,
                            reason,
                        )
                        continue
                    logger.warning(
                        "The fan-out lease of %s lapsed (%s): stopping this run",
                        self.team_id,
                        reason,
                    )
                    self._lost.set()
                    return
                if not renewed:
                    logger.error("Lost the fan-out lease of %s: stopping this run", self.team_id)
                    self._lost.set()
                    return
                self._valid_until = asked + self.seconds - self.renew_every
        except Exception:
            # A renewal that fails for a reason of its own (a bug): stop claiming.
            logger.exception("Renewing the fan-out lease of %s failed", self.team_id)
            self._lost.set()
        finally:
            self.store.release()  # this renewal thread's connection
