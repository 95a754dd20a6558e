"""Named leases: one holder at a time for a job, across every process and host.

A lease is a row in `leases` with its holder ("host:pid") and an expiry; the holder renews it
while it works and deletes it when done. A holder that dies stops renewing, and its lease
expires, so another may take over. The runner holds "runner" (one runner per deployment does
the background work); a fan-out holds its workspace's (`fanout_lease(team_id)`), so the
workspace's posting pace holds because only the lease holder posts its nudges.

Times are seconds since the epoch: hosts compare them, so they need synchronized clocks. The
writes go through the store's group commit, so they queue with the other writers.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.backend import Session
from store.base import StoreBase


def fanout_lease(team_id: str) -> str:
    """The name of the lease a workspace's fan-out holds while it runs."""
    return f"fanout {team_id}"


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str  # "host:pid"
    expires_at: float  # seconds since the epoch
    taken_from: str | None = None  # the holder whose lease this one replaced


class LeaseStore(StoreBase):
    """Mixed into `Store`."""

    def take_lease(
        self, name: str, holder: str, now: float, ttl: float, dead: str | None = None
    ) -> Lease:
        """Take or renew the lease until `now + ttl`. A lease held by someone else is taken
        only once it has expired, or before if its holder is `dead` (known to have died).
        The lease as it stands after asking: `holder`'s if taken, else its holder's."""
        return self._grouped(lambda db: _take_lease(db, name, holder, now, ttl, dead))

    def renew_lease(self, name: str, holder: str, now: float, ttl: float) -> bool:
        """Extend a lease we hold; False when it is no longer ours (another took it)."""
        renewed = self._write(
            "update leases set expires_at = ? where name = ? and holder = ?",
            [now + ttl, name, holder],
        )
        return renewed == 1

    def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up at once (a clean stop), so the next need not wait for it."""
        return bool(self._write("delete from leases where name = ? and holder = ?", [name, holder]))

    def lease_holder(self, name: str, now: float) -> str | None:
        """Who holds the lease and has not let it expire, if anyone."""
        holder = self._value(
            "select holder from leases where name = ? and expires_at > ?", [name, now]
        )
        return None if holder is None else str(holder)

    def lease(self, name: str) -> Lease | None:
        """The lease as last taken or renewed, expired or not."""
        row = self._one("select holder, expires_at from leases where name = ?", [name])
        return None if row is None else Lease(name, row["holder"], row["expires_at"])


def _take_lease(
    db: Session, name: str, holder: str, now: float, ttl: float, dead: str | None
) -> Lease:
    # One conditional upsert decides, so two hosts asking at once cannot both get it: SQLite's
    # write lock is held for the transaction, and PostgreSQL locks the conflicting row even
    # when the condition refuses it, so the row read after a refusal is still its holder's.
    # The read before only says whose it was.
    before = db.one("select holder from leases where name = ?", [name])
    taken = db.execute(
        "insert into leases (name, holder, expires_at, taken_at) values (?, ?, ?, ?) "
        "on conflict (name) do update set holder = excluded.holder, "
        "expires_at = excluded.expires_at, taken_at = case "
        "when leases.holder = excluded.holder then leases.taken_at "
        "else excluded.taken_at end "
        "where leases.holder = excluded.holder or leases.holder = ? or leases.expires_at <= ?",
        [name, holder, now + ttl, now, dead, now],
    )
    if taken:
        was = before["holder"] if before is not None else None
        return Lease(name, holder, now + ttl, was if was != holder else None)
    row = db.one("select holder, expires_at from leases where name = ?", [name])
    assert row is not None, "a refused lease is locked until this transaction ends"
    return Lease(name, row["holder"], row["expires_at"])
