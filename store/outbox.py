"""The outbox through which web workers hand the runner work.

Exactly one runner per deployment does the background work, under the lease "runner"
(store/leases.py). Web workers never call the runner: a change that needs background work
writes an outbox row in the same transaction as the change itself (`enqueue`), so the work is
neither lost when the worker dies after committing nor done for a change that rolled back.
Rows are keyed by what they are about (kind, team, subject): a burst of reactions on one nudge
is one row, whose `seq` counts the changes, and the runner deletes a row only if no change came
after it read it.
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
    # tell the managers of Slack's delivery health: subject is "failures HOUR" or
    # "rate_limited HOUR" (bot/observe/delivery_health.py)
    "notice",
    "forget",  # delete a workspace that left once its retention is over (store/forget.py)
    "rotate",  # refresh an installation's token before it expires; subject is its enterprise
]


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


@dataclass(frozen=True)
class OutboxKindDepth:
    kind: str
    depth: int  # rows waiting
    oldest_created_at: float  # when the oldest of them was first asked for


class RunnerStore(StoreBase):
    """Mixed into `Store`. Its writes go through the store's group commit, like the web
    workers' check-offs, so they queue with them."""

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

    def outbox_depths(self) -> list[OutboxKindDepth]:
        """Per kind with work waiting: how many rows, and the oldest's first change."""
        rows = self._rows(
            "select kind, count(*) as depth, min(created_at) as oldest from outbox group by kind"
        )
        return [OutboxKindDepth(r["kind"], int(r["depth"]), float(r["oldest"])) for r in rows]
