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

import sqlite3
from dataclasses import dataclass
from typing import Literal

from sqlite_utils import Database

from store.group import GroupCommit

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


def enqueue(db: sqlite3.Connection, kind: Kind, team_id: str, subject: str, now: float) -> None:
    """Write an outbox row inside the caller's transaction; the same work pending is counted
    on its row, not queued twice."""
    db.execute(
        "insert into outbox (kind, team_id, subject, seq, created_at) values (?, ?, ?, 1, ?) "
        "on conflict (kind, team_id, subject) do update set seq = outbox.seq + 1",
        [kind, team_id, subject, now],
    )


class RunnerStore:
    """Mixed into `Store`. Its writes go through the store's group commit, like the web
    workers' check-offs, so they queue with them instead of polling for SQLite's lock."""

    _group: GroupCommit

    @property
    def db(self) -> Database:
        """This thread's connection."""
        raise NotImplementedError

    # --- the lease --------------------------------------------------------------------

    def take_lease(self, name: str, holder: str, now: float, ttl: float) -> Lease | None:
        """Take or renew the lease until `now + ttl`; None while someone else holds it."""
        return self._group.run(lambda db: self._take_lease(db, name, holder, now, ttl))

    @staticmethod
    def _take_lease(
        db: sqlite3.Connection, name: str, holder: str, now: float, ttl: float
    ) -> Lease | None:
        row = db.execute("select holder, expires_at from leases where name = ?", [name]).fetchone()
        if row is not None and row[0] != holder and row[1] > now:
            return None
        db.execute(
            "insert into leases (name, holder, expires_at, taken_at) values (?, ?, ?, ?) "
            "on conflict (name) do update set holder = excluded.holder, "
            "expires_at = excluded.expires_at, taken_at = case "
            "when leases.holder = excluded.holder then leases.taken_at "
            "else excluded.taken_at end",
            [name, holder, now + ttl, now],
        )
        taken_from = row[0] if row is not None and row[0] != holder else None
        return Lease(name, holder, now + ttl, taken_from)

    def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up at once (a clean stop), so a standby need not wait for it."""
        return bool(
            self._group.run(
                lambda db: (
                    db.execute(
                        "delete from leases where name = ? and holder = ?", [name, holder]
                    ).rowcount
                )
            )
        )

    def lease(self, name: str) -> Lease | None:
        """The lease as last taken or renewed, expired or not."""
        row = self.db.execute(
            "select holder, expires_at from leases where name = ?", [name]
        ).fetchone()
        return None if row is None else Lease(name, row[0], row[1])

    # --- the outbox -------------------------------------------------------------------

    def pending_work(self, kind: Kind | None = None, limit: int = 500) -> list[Work]:
        """Work waiting for the runner (of one kind, so that one kind's backlog never hides
        another's work), oldest first."""
        where, params = ("where kind = ? ", [kind]) if kind else ("", [])
        rows = self.db.execute(
            "select kind, team_id, subject, seq, created_at from outbox "
            f"{where}order by created_at, kind, team_id, subject limit ?",
            [*params, limit],
        ).fetchall()
        return [Work(*row) for row in rows]

    def finish_work(self, work: Work) -> bool:
        """Done with `work`; False (the row stays, due again) if a change came after it."""
        return bool(
            self._group.run(
                lambda db: (
                    db.execute(
                        "delete from outbox "
                        "where kind = ? and team_id = ? and subject = ? and seq = ?",
                        [work.kind, work.team_id, work.subject, work.seq],
                    ).rowcount
                )
            )
        )

    def request_work(self, kind: Kind, team_id: str, subject: str, now: float) -> None:
        """Ask the runner for work that no other change goes with."""
        self._group.run(lambda db: enqueue(db, kind, team_id, subject, now))
