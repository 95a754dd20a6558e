"""Events: check-off reactions on nudges, and the App Home tab.

`process_before_response` keeps the HTTP response waiting for the listener, so a listener
never calls Slack: a reaction is only recorded in the store here (the nudge's live count is
updated by the runner), and the Home tab is published after the ack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltContext

from bot.background.bot_users import KnownBots
from bot.context import Services
from bot.handlers.progress import home_view
from bot.slack.membership import member_role_channels
from store import Delivery, Store
from store.checkoffs import ReactionChange

EVENTS = ("app_home_opened", "reaction_added", "reaction_removed")

logger = logging.getLogger("progression_bot.events")
LOOKUPS_PER_MINUTE = 100.0
LOOKUP_BURST = 20.0
_SKIN_TONE = re.compile(r"::skin-tone-\d$")


@dataclass(frozen=True)
class Reaction:
    """A reaction event, parsed: which emoji (skin tone stripped), by whom, on what."""

    added: bool
    user_id: str
    emoji: str
    item_type: str
    channel_id: str
    ts: str
    at: datetime | None
    event_time: int = 0  # Slack's time for the event (the envelope's), 0 when missing
    event_ts: float = 0.0


def parse_reaction(event: dict[str, Any], body: dict[str, Any] | None = None) -> Reaction:
    item: dict[str, Any] = event.get("item") or {}
    try:
        event_ts = float(event["event_ts"])
        at: datetime | None = datetime.fromtimestamp(event_ts, UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        event_ts, at = 0.0, None
    try:
        event_time = int((body or {})["event_time"])
    except (KeyError, TypeError, ValueError):
        event_time = int(event_ts)
    return Reaction(
        added=event.get("type") == "reaction_added",
        user_id=str(event.get("user") or ""),
        emoji=_SKIN_TONE.sub("", str(event.get("reaction") or "")),
        item_type=str(item.get("type") or ""),
        channel_id=str(item.get("channel") or ""),
        ts=str(item.get("ts") or ""),
        at=at,
        event_time=event_time,
        event_ts=event_ts,
    )


class Nudges:
    """Which message is a nudge: a posted nudge's (team, channel, ts) never changes, so those
    found are remembered; anything else is asked of the store each time (it may be posted
    and confirmed a moment later)."""

    MAX = 4096

    def __init__(self, store: Store) -> None:
        self.store = store
        self._found: dict[tuple[str, str, str], Delivery] = {}

    def get(self, team_id: str, channel_id: str, ts: str) -> Delivery | None:
        key = (team_id, channel_id, ts)
        found = self._found.get(key)
        if found is None:
            found = self.store.delivery_by_ts(team_id, channel_id, ts)
            if found is not None:
                if len(self._found) >= self.MAX:
                    self._found.pop(next(iter(self._found)), None)
                self._found[key] = found
        return found


def publish_home(services: Services, team_id: str, user_id: str) -> Callable[[], None]:
    """The work of showing a person their Home tab, for after the ack."""

    def publish() -> None:
        now = services.clock()
        member_of = member_role_channels(services.store, services.slack, team_id, user_id, now)
        view = home_view(
            services.store,
            services.progression,
            team_id,
            user_id,
            now,
            services.settings.progression_tz,
            member_of,
        )
        services.slack.views_publish(user_id=user_id, view=view)

    return publish


def register(app: App, services: Services) -> None:
    bots = KnownBots(services.store)
    nudges = Nudges(services.store)
    check_emoji = services.settings.check_emoji

    def on_app_home_opened(
        event: dict[str, Any], body: dict[str, Any], context: BoltContext
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id = str(context.team_id or body.get("team_id") or "")
        publish = publish_home(services, team_id, str(event["user"]))
        services.after_ack.submit(publish, "Publishing the Home tab")

    def on_reaction(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        reaction = parse_reaction(event, body)
        if reaction.emoji not in check_emoji or reaction.item_type != "message":
            return
        team_id = str(context.team_id or body.get("team_id") or "")
        store = services.store
        nudge = nudges.get(team_id, reaction.channel_id, reaction.ts)
        if nudge is None or nudge.is_celebration:
            return
        if reaction.user_id in ("", context.bot_user_id):
            return
        is_bot = bots.is_bot(team_id, reaction.user_id)
        if is_bot:
            return
        received = services.clock().timestamp()
        change = ReactionChange(
            team_id=team_id,
            channel_id=reaction.channel_id,
            ts=reaction.ts,
            ref=nudge.ref,
            user_id=reaction.user_id,
            emoji=reaction.emoji,
            added=reaction.added,
            at=reaction.at or services.clock(),
            # An event without Slack's time is ordered by when it arrived.
            event_time=reaction.event_time or int(received),
            event_ts=reaction.event_ts or float(reaction.event_time) or received,
        )
        received = services.clock().timestamp()
        # The live count's update and, for a user never looked up, the look-up are the
        # runner's: asked for in the same transaction as the check-off.
        store.record_reaction(change, body.get("event_id"), received, look_up_user=is_bot is None)

    # Bolt tries listeners in order: the frequent events first.
    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)
    app.event("app_home_opened")(on_app_home_opened)
