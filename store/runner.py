"""The runner's lease, and the outbox through which web workers hand it work.

Exactly one runner per deployment does the background work; it holds a named lease, a row it
renews every few seconds. Another runner may take the lease only once it has expired, so a
runner that stops renewing (killed, or cut off from the database) loses it within its ttl.

Web workers never call the runner: a change that needs background work writes an outbox row in
the same transaction as the change itself (`enqueue`), so the work is neither lost when the
worker dies after committing nor done for a change that rolled back. Rows are keyed by what
they are about (kind, team, subject): a burst of reactions on one nudge is one row, whose `seq`
counts the changes, and the runner deletes a row only if no change came after it read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from store.backend import Session
from store.base import StoreBase

# What a row asks of the runner.
Kind = Literal[
    "arm",  # re-arm the workspace's nudge job: its schedule, breaks or subscriptions changed
    "count",  # refresh the live count on a nudge; subject is "channel ts"
    "user",  # look the user up (is it a bot?); subject is the user id
]


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str  # "host:pid"
    expires_at: float  # seconds since the epoch
    taken_from: str | None = None  # the holder whose expired lease this one replaced


@dataclass(frozen=True)
class Work:
    kind: Kind
    team_id: str
    subject: str
    seq: int  # changes so far: finishing succeeds only if no change came since
    created_at: float  # when the first change still pending was made


def enqueue(db: Session, kind: Kind, team_id: str, subject: str, now: float) -> None:
    """Write an outbox row inside the caller's transaction; the same work pending is counted
    on its row, not queued twice."""
    db.execute(
        "insert into outbox (kind, team_id, subject, seq, created_at) values (?, ?, ?, 1, ?) "
        "on conflict (kind, team_id, subject) do update set seq = outbox.seq + 1",
        [kind, team_id, subject, now],
    )


class RunnerStore(StoreBase):
    """Mixed into `Store`. Its writes go through the store's group commit, like the web
    workers' check-offs, so they queue with them."""

    # --- the lease --------------------------------------------------------------------

    def take_lease(self, name: str, holder: str, now: float, ttl: float) -> Lease | None:
        """Take or renew the lease until `now + ttl`; None while someone else holds it."""
        return self._grouped(lambda db: _take_lease(db, name, holder, now, ttl))

    def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up at once (a clean stop), so a standby need not wait for it."""
        return bool(self._write("delete from leases where name = ? and holder = ?", [name, holder]))

    def lease(self, name: str) -> Lease | None:
        """The lease as last taken or renewed, expired or not."""
        row = self._one("select holder, expires_at from leases where name = ?", [name])
        return None if row is None else Lease(name, row["holder"], row["expires_at"])

    # --- the outbox -------------------------------------------------------------------

    def pending_work(self, kind: Kind | None = None, limit: int = 500) -> list[Work]:
        """Work waiting for the runner (of one kind, so that one kind's backlog never hides
        another's work), oldest first."""
        where, params = ("where kind = ? ", [kind]) if kind else ("", [])
        rows = self._rows(
            "select kind, team_id, subject, seq, created_at from outbox "
            f"{where}order by created_at, kind, team_id, subject limit ?",
            [*params, limit],
        )
        return [Work(**row) for row in rows]

    def finish_work(self, work: Work) -> bool:
        """Done with `work`; False (the row stays, due again) if a change came after it."""
        return bool(
            self._write(
                "delete from outbox where kind = ? and team_id = ? and subject = ? and seq = ?",
                [work.kind, work.team_id, work.subject, work.seq],
            )
        )

    def request_work(self, kind: Kind, team_id: str, subject: str, now: float) -> None:
        """Ask the runner for work that no other change goes with."""
        self._grouped(lambda db: enqueue(db, kind, team_id, subject, now))


def _take_lease(db: Session, name: str, holder: str, now: float, ttl: float) -> Lease | None:
    # One conditional upsert decides, so two runners asking at once cannot both get it (on
    # PostgreSQL the conflicting row is locked); the read before only says whose it was.
    row = db.one("select holder from leases where name = ?", [name])
    taken = db.execute(
        "insert into leases (name, holder, expires_at, taken_at) values (?, ?, ?, ?) "
        "on conflict (name) do update set holder = excluded.holder, "
        "expires_at = excluded.expires_at, taken_at = case "
        "when leases.holder = excluded.holder then leases.taken_at "
        "else excluded.taken_at end "
        "where leases.holder = excluded.holder or leases.expires_at <= ?",
        [name, holder, now + ttl, now, now],
    )
    if not taken:
        return None
    taken_from = row["holder"] if row is not None and row["holder"] != holder else None
    return Lease(name, holder, now + ttl, taken_from)
