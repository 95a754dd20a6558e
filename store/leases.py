"""Fan-out leases: one fan-out per workspace at a time, across every process and host.

A lease is a row per workspace with its holder and an expiry; the holder renews it while it
runs and deletes it when done. A holder that dies stops renewing, and its lease expires, so
another run can take over. The workspace's posting pace holds because only the lease holder
posts its nudges.
"""

from __future__ import annotations

from store.base import StoreBase


class LeaseStore(StoreBase):
    """Mixed into `Store`."""

    def take_fanout_lease(
        self, team_id: str, owner: str, now: float, seconds: float, dead: str | None = None
    ) -> str | None:
        """Take (or renew) the workspace's fan-out lease until `now + seconds`; None when
        taken, else who holds it. A lease held by `dead` (known to have died) is taken over
        before it expires."""
        # One statement decides: the row is written only when it is free, ours, the dead
        # holder's or expired, so two hosts asking at once cannot both get it.
        holder = None
        for _ in range(3):  # the holder may release it between the two statements
            taken = self._execute(
                "insert into fanout_leases (team_id, owner, expires_at, taken_at) "
                "values (?, ?, ?, ?) on conflict (team_id) do update set "
                "owner = excluded.owner, expires_at = excluded.expires_at, "
                "taken_at = excluded.taken_at "
                "where fanout_leases.owner = ? or fanout_leases.owner = ? "
                "or fanout_leases.expires_at <= ?",
                [team_id, owner, now + seconds, now, owner, dead, now],
            )
            if taken:
                return None
            holder = self._value("select owner from fanout_leases where team_id = ?", [team_id])
            if holder is not None:
                break
        return str(holder)

    def renew_fanout_lease(self, team_id: str, owner: str, now: float, seconds: float) -> bool:
        """Extend a lease we hold; False when it is no longer ours (another run took it)."""
        renewed = self._execute(
            "update fanout_leases set expires_at = ? where team_id = ? and owner = ?",
            [now + seconds, team_id, owner],
        )
        return renewed == 1

    def release_fanout_lease(self, team_id: str, owner: str) -> None:
        self._execute("delete from fanout_leases where team_id = ? and owner = ?", [team_id, owner])

    def fanout_running(self, team_id: str, now: float) -> str | None:
        """Who holds a live fan-out lease for the workspace, if anyone."""
        holder = self._value(
            "select owner from fanout_leases where team_id = ? and expires_at > ?", [team_id, now]
        )
        return None if holder is None else str(holder)
