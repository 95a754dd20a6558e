"""Token rotation: the runner refreshes each installation's token before it expires.

With token rotation on, `oauth.v2.access` answers a token that expires (12 hours, at Slack)
and a refresh token that trades, once, for the next. Only the runner refreshes ("rotate" work
in the outbox, asked for whenever an installation with an expiring token is saved): a refresh
token is single-use, so two processes refreshing at once would lose one. Web workers and every
other process read the current token from the store at each call.

A token is refreshed once half its life is gone (at most two hours before it expires): a
12-hour token two hours ahead, a 30-second one 15 seconds ahead. A refresh that fails is tried
again; a refresh token Slack refuses (revoked) stops that workspace's background work, in one
log line, as if it had removed the app, while the other workspaces carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from scheduler.clock import utc_now
from scheduler.runner import DueOncePerSeq
from store import Store
from store.outbox import Work

logger = logging.getLogger("progression_bot.runner")

# Refreshed this long before expiry at the most (Slack's tokens live 12 hours).
MOST_AHEAD_SECONDS = 2 * 3600.0
# A refresh that failed (Slack or the network away) is tried again this soon.
RETRY_SECONDS = 5.0
# Slack's answers that say the refresh token will never work again.
REFUSED = frozenset({"invalid_refresh_token", "invalid_grant", "token_revoked", "invalid_auth"})


@dataclass
class TokenRotation:
    """The runner's duty for "rotate" work: one installation's token, refreshed in time."""

    store: Store
    client: WebClient  # no token: oauth.v2.access takes the app's client id and secret
    client_id: str
    client_secret: str
    clock: Callable[[], Any] = utc_now
    _retry_at: dict[tuple[str, str], float] = field(default_factory=dict)
    # A save that changes the token asks for the next refresh: a new seq, read again.
    _due: DueOncePerSeq = field(default_factory=DueOncePerSeq)

    def ready_at(self, work: Work, now: float) -> float:
        due = self._due.due(_key(work), work.seq, lambda: _refresh_at(self._row(work)))
        if due is None:
            return now  # nothing to refresh: done (and gone from the outbox)
        return max(now, due, self._retry_at.get(_key(work), 0.0))

    def do(self, work: Work, now: float) -> None:
        self._due.forget(_key(work))
        row = self._row(work)
        if row is None or _refresh_at(row) is None:
            return  # removed, or its token no longer expires
        try:
            answer = self.client.oauth_v2_access(
                client_id=self.client_id,
                client_secret=self.client_secret,
                grant_type="refresh_token",
                refresh_token=row["bot_refresh_token"],
            )
        except SlackApiError as error:
            self._failed(work, row, str(error.response.get("error", "")), now)
            return
        except OSError as error:
            self._failed(work, row, type(error).__name__, now)
            return
        self._retry_at.pop(_key(work), None)
        # Saving it asks for the next refresh, in the same transaction.
        self.store.save_installation_row(
            {
                **row,
                "bot_token": answer["access_token"],
                "bot_refresh_token": answer["refresh_token"],
                "bot_token_expires_at": int(now + float(answer["expires_in"])),
                "installed_at": now,  # when its current token was issued
            }
        )
        logger.info("Refreshed the token of %s", work.team_id)

    def _failed(self, work: Work, row: dict[str, Any], reason: str, now: float) -> None:
        if reason in REFUSED:
            logger.error(
                "Slack refused the refresh token of %s (%s): its nudges, digests and reminders "
                "stop until it installs the app again",
                work.team_id,
                reason,
            )
            self.store.mark_departed(work.team_id, "its refresh token was refused", self.clock())
            return
        self._retry_at[_key(work)] = now + RETRY_SECONDS
        logger.warning(
            "Could not refresh the token of %s (%s): trying again in %g s",
            work.team_id,
            reason,
            RETRY_SECONDS,
        )
        self.store.request_work("rotate", work.team_id, work.subject, now)  # stays asked for

    def _row(self, work: Work) -> dict[str, Any] | None:
        org_wide = bool(work.subject) and work.subject == work.team_id
        return self.store.installation_row(work.subject, "" if org_wide else work.team_id)


def _key(work: Work) -> tuple[str, str]:
    return (work.team_id, work.subject)


def _refresh_at(row: dict[str, Any] | None) -> float | None:
    """Once half the token's life is gone, at most MOST_AHEAD_SECONDS before it expires; None
    when there is nothing to refresh (no installation, or a token that does not expire)."""
    if row is None or not row["bot_refresh_token"] or row["bot_token_expires_at"] is None:
        return None
    expires = float(row["bot_token_expires_at"])
    issued = float(row["installed_at"] or expires)
    ahead = min(MOST_AHEAD_SECONDS, max(0.0, expires - issued) / 2)
    return expires - ahead
