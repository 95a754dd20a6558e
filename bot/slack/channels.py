"""What Slack says of a channel as it becomes a role channel: its name (its campus is proposed
from it) and its people (the "✅ 7 of 12" of `progress campus` and the digest), asked once
when it is subscribed; the runner asks again before each digest and reminder."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from scheduler.digest import remember_conversation
from store import Store

logger = logging.getLogger(__name__)

# What a slash command's `channel_name` says where the channel has no name of its own to give.
NO_NAME = frozenset({"", "privategroup", "directmessage", "mpdm"})


def channel_name(
    store: Store, client: WebClient, team_id: str, channel_id: str, said: str, now: datetime
) -> str | None:
    """The channel's name: as the command's payload `said` it, else as `conversations.info`
    says (asked, and kept with the channel's people, either way). None when neither knows."""
    try:
        answer = client.conversations_info(channel=channel_id, include_num_members=True)
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else error
        logger.warning("conversations.info for %s failed: %s", channel_id, reason)
        return None if said in NO_NAME else said
    info = answer.get("channel")
    found = None
    if isinstance(info, dict):
        found = remember_conversation(store, team_id, channel_id, info, now)
    return found if said in NO_NAME else said
