"""GET /readyz: ready to take Slack's requests only while the database answers and some runner,
on this host or another, holds a live lease (renewed within PROGRESSION_RUNNER_LEASE). A web
tier started with `serve --http --no-runner` is ready only while a runner elsewhere is."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.runner import RUNNER_LEASE
from store import Store
from store.busy import unavailable_reason


@dataclass(frozen=True)
class Readiness:
    ready: bool
    line: str  # one line: what is missing, or who holds the lease


def readiness(store: Store, now: float, lease_seconds: float) -> Readiness:
    """`now`: seconds since the epoch, the clock the leases are written on."""
    try:
        holder = store.lease_holder(RUNNER_LEASE, now)
    except Exception as error:
        reason = unavailable_reason(error) or type(error).__name__
        return Readiness(False, f"not ready: the database does not answer ({reason})")
    if holder is None:
        return Readiness(
            False,
            f"not ready: no runner has renewed the runner lease in the last {lease_seconds:g} s "
            "(PROGRESSION_RUNNER_LEASE)",
        )
    return Readiness(True, "ready")
