"""Signed requests already seen: a replayed command or button press acts once.

Slack signs each request with its timestamp, and a signature is accepted for five minutes; a
request sent again inside that window carries the same signature. The memory is in the
database, so it holds for every worker and host that shares it.
"""

from __future__ import annotations

from store.base import StoreBase

REPLAY_WINDOW_SECONDS = 5 * 60.0
_PRUNE_EVERY_SECONDS = 60.0
# The memory's write waits this long for another writer, then fails as busy: the request that
# asked then still has its own write's wait (`WRITE_WAIT_SECONDS`) within Slack's 3 seconds.
REPLAY_WAIT_SECONDS = 0.25


class RequestStore(StoreBase):
    """Mixed into `Store`."""

    def first_sight_of_request(self, signature: str, now: float) -> bool:
        """True the first time `signature` is offered within the replay window, else False.

        Its commits do not wait for the disk (`Backend.unsynced`): a memory lost to a power
        cut forgets at most five minutes of requests, while a sync per slash command would
        cost milliseconds on every lookup. It waits for another writer at most
        `REPLAY_WAIT_SECONDS`, each thread on its own connection (no lock of the process is
        held meanwhile), then fails as busy (`store.busy.is_busy`)."""
        # A row older than the window is a request Slack's own timestamp check now refuses,
        # so it may be taken over: the memory needs only five minutes, whenever pruned.
        with self._backend.unsynced(REPLAY_WAIT_SECONDS) as db:
            claimed = db.execute(
                "insert into slack_ack_seen_requests (signature, seen_at) values (?, ?) "
                "on conflict (signature) do update set seen_at = excluded.seen_at "
                "where slack_ack_seen_requests.seen_at < ?",
                [signature, now, now - REPLAY_WINDOW_SECONDS],
            )
            last: float = getattr(self, "_requests_pruned_at", 0.0)
            if now - last >= _PRUNE_EVERY_SECONDS:
                self._requests_pruned_at = now
                db.execute(
                    "delete from slack_ack_seen_requests where seen_at < ?",
                    [now - REPLAY_WINDOW_SECONDS],
                )
        return bool(claimed)
