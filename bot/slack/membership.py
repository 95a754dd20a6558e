"""Which role channels a person is in, for App Home: it shows, and lets a person check off,
only the role channels they are a member of.

Slack's `users.conversations` answers for one person at a time (the `channels:read` and
`groups:read` scopes; private channels only where the app is a member too, as it is in every
role channel it posts to). The answer is kept in the store for a few minutes, and asked again
sooner when the workspace's role channels changed: one call per person per few minutes, however
many role channels the workspace has.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from store import Store

logger = logging.getLogger(__name__)

MEMBERSHIP_SECONDS = 300.0
PAGE_SIZE = 200  # Slack recommends no more than 200 a page
MAX_PAGES = 20


def member_role_channels(
    store: Store, client: WebClient, team_id: str, user_id: str, now: datetime
) -> frozenset[str]:
    """The workspace's active role channels that the person is a member of, asking Slack when
    the kept answer is stale. When Slack cannot say, the last answer (or none): never a channel
    the person was not found in."""
    role_channels = _role_channels(store, team_id)
    known = remembered_role_channels(store, team_id, user_id, now)
    if known is not None or not role_channels:
        return known or frozenset()
    try:
        found = _ask(client, user_id)
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else error
        logger.warning("users.conversations for %s failed: %s", user_id, reason)
        remembered = store.remembered_channels(team_id, user_id)
        return remembered[0] & role_channels if remembered is not None else frozenset()
    return remember_membership(store, team_id, user_id, found, now)


def remembered_role_channels(
    store: Store, team_id: str, user_id: str, now: datetime
) -> frozenset[str] | None:
    """The kept answer, without asking Slack; None when it is stale or was never asked."""
    role_channels = _role_channels(store, team_id)
    remembered = store.remembered_channels(team_id, user_id)
    if remembered is None:
        return None
    channels, checked_at, covered = remembered
    if covered != _digest(role_channels) or checked_at <= now.timestamp() - MEMBERSHIP_SECONDS:
        return None
    return channels & role_channels


def remember_membership(
    store: Store, team_id: str, user_id: str, channels: frozenset[str], now: datetime
) -> frozenset[str]:
    """Keep Slack's answer (the channels the person is in); the role channels among them."""
    role_channels = _role_channels(store, team_id)
    mine = channels & role_channels
    store.remember_channels(team_id, user_id, mine, now.timestamp(), _digest(role_channels))
    return mine


def _role_channels(store: Store, team_id: str) -> frozenset[str]:
    return frozenset(s.channel_id for s in store.subscriptions(team_id) if s.active)


def _digest(role_channels: frozenset[str]) -> str:
    return hashlib.sha256(",".join(sorted(role_channels)).encode()).hexdigest()[:16]


def _ask(client: WebClient, user_id: str) -> frozenset[str]:
    found: set[str] = set()
    cursor = ""
    for _ in range(MAX_PAGES):
        answer = client.users_conversations(
            user=user_id,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
        found.update(str(c["id"]) for c in answer.get("channels") or [])
        cursor = str((answer.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            break
    else:
        logger.warning("%s is in more than %d channels: only those are shown", user_id, len(found))
    return frozenset(found)
