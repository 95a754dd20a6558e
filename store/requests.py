"""Signed requests already seen: a replayed command or button press acts once.

Slack signs each request with its timestamp, and a signature is accepted for five minutes; a
request sent again inside that window carries the same signature. The memory is in the
database, so it holds for every worker and host that shares it.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from store.group import GroupCommit

REPLAY_WINDOW_SECONDS = 5 * 60.0
_PRUNE_EVERY_SECONDS = 60.0


class RequestStore:
    """Mixed into `Store`."""

    _group: GroupCommit

    @property
    def db(self) -> Database:
        raise NotImplementedError

    def first_sight_of_request(self, signature: str, now: float) -> bool:
        """True the first time `signature` is offered within the replay window, else False."""
        claimed: bool = self._group.run(lambda db: _claim(db, signature, now))
        last: float = getattr(self, "_requests_pruned_at", 0.0)
        if now - last >= _PRUNE_EVERY_SECONDS:
            self._requests_pruned_at = now
            self.db.execute(
                "delete from slack_ack_seen_requests where seen_at < ?",
                [now - REPLAY_WINDOW_SECONDS],
            )
        return claimed


def _claim(db: sqlite3.Connection, signature: str, now: float) -> bool:
    # A row older than the window is a request Slack's own timestamp check now refuses, so
    # it may be taken over: the memory needs only five minutes, whenever the prune ran.
    return bool(
        db.execute(
            "insert into slack_ack_seen_requests (signature, seen_at) values (?, ?) "
            "on conflict (signature) do update set seen_at = excluded.seen_at "
            "where slack_ack_seen_requests.seen_at < ?",
            [signature, now, now - REPLAY_WINDOW_SECONDS],
        ).rowcount
    )
