"""Fan-out leases: one fan-out per workspace at a time, across every process and host.

A lease is a row per workspace with its holder and an expiry; the holder renews it while it
runs and deletes it when done. A holder that dies stops renewing, and its lease expires, so
another run can take over. The workspace's posting pace holds because only the lease holder
posts its nudges.
"""

from __future__ import annotations

from sqlite_utils import Database

from store.group import immediate


class LeaseStore:
    """Mixed into `Store`."""

    @property
    def db(self) -> Database:
        """This thread's connection."""
        raise NotImplementedError

    def take_fanout_lease(
        self, team_id: str, owner: str, now: float, seconds: float, dead: str | None = None
    ) -> str | None:
        """Take (or renew) the workspace's fan-out lease until `now + seconds`; None when
        taken, else who holds it. A lease held by `dead` (known to have died) is taken over
        before it expires."""
        with immediate(self.db.conn) as db:
            row = db.execute(
                "select owner, expires_at from fanout_leases where team_id = ?", [team_id]
            ).fetchone()
            if row is not None and row[0] not in (owner, dead) and row[1] > now:
                return str(row[0])
            db.execute(
                "insert into fanout_leases (team_id, owner, expires_at, taken_at) "
                "values (?, ?, ?, ?) on conflict (team_id) do update set "
                "owner = excluded.owner, expires_at = excluded.expires_at, "
                "taken_at = excluded.taken_at",
                [team_id, owner, now + seconds, now],
            )
        return None

    def renew_fanout_lease(self, team_id: str, owner: str, now: float, seconds: float) -> bool:
        """Extend a lease we hold; False when it is no longer ours (another run took it)."""
        cursor = self.db.execute(
            "update fanout_leases set expires_at = ? where team_id = ? and owner = ?",
            [now + seconds, team_id, owner],
        )
        return cursor.rowcount == 1

    def release_fanout_lease(self, team_id: str, owner: str) -> None:
        self.db.execute(
            "delete from fanout_leases where team_id = ? and owner = ?", [team_id, owner]
        )

    def fanout_running(self, team_id: str, now: float) -> str | None:
        """Who holds a live fan-out lease for the workspace, if anyone."""
        row = self.db.execute(
            "select owner from fanout_leases where team_id = ? and expires_at > ?", [team_id, now]
        ).fetchone()
        return None if row is None else str(row[0])
