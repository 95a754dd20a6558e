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
    """The workspace's active role channels that the person is a member of. When Slack cannot
    say, the last answer (or none): never a channel the person was not found in."""
    role_channels = frozenset(s.channel_id for s in store.subscriptions(team_id) if s.active)
    if not role_channels:
        return frozenset()
    covers = hashlib.sha256(",".join(sorted(role_channels)).encode()).hexdigest()[:16]
    remembered = store.remembered_channels(team_id, user_id)
    if remembered is not None:
        channels, checked_at, covered = remembered
        if covered == covers and checked_at > now.timestamp() - MEMBERSHIP_SECONDS:
            return channels & role_channels
    try:
        found = _ask(client, user_id)
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else error
        logger.warning("users.conversations for %s failed: %s", user_id, reason)
        return remembered[0] & role_channels if remembered is not None else frozenset()
    mine = found & role_channels
    store.remember_channels(team_id, user_id, mine, now.timestamp(), covers)
    return mine


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
