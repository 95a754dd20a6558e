"""Events: check-off reactions on nudges, and the App Home tab.

`process_before_response` keeps the HTTP response waiting for the listener, so a listener
never calls Slack: a reaction is only recorded in the store here (the nudge's live count is
updated by the runner), and the Home tab is published by a lazy function, after the ack.
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
from bot.listeners.binding import with_services
from bot.observe.metrics import count_checkoff
from bot.slack.managers import manages
from bot.slack.membership import member_role_channels
from store import Delivery, Store
from store.checkoffs import ReactionChange

EVENTS = ("app_home_opened", "reaction_added", "reaction_removed")

logger = logging.getLogger("progression_bot.events")
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


def register(app: App, services: Services) -> None:
    nudges, bots = Nudges(services.store), KnownBots(services.store)
    on_reaction = with_services(record_reaction, services, nudges, bots)
    # Bolt tries listeners in order: the frequent events first.
    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)
    app.event("app_home_opened")(
        ack=with_services(on_app_home_opened, services),
        lazy=[with_services(publish_home_later, services)],
    )


def record_reaction(
    services: Services,
    nudges: Nudges,
    bots: KnownBots,
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
) -> None:
    """A check-off emoji on a nudge, by a person, is recorded (or taken back)."""
    reaction = parse_reaction(event, body)
    team_id = str(context.team_id or body.get("team_id") or "")
    nudge = _nudge_checked_off(services, nudges, reaction, team_id, context.bot_user_id)
    if nudge is None:
        return
    is_bot = bots.is_bot(team_id, reaction.user_id)
    if is_bot:
        return
    received = services.clock().timestamp()
    change = reaction_change(reaction, team_id, nudge, received, services.clock)
    # The live count's update and, for a user never looked up, the look-up are the runner's:
    # asked for in the same transaction as the check-off.
    event_id = body.get("event_id")
    outcome = services.store.record_reaction(
        change, event_id, received, look_up_user=is_bot is None
    )
    count_checkoff(outcome)


def _nudge_checked_off(
    services: Services, nudges: Nudges, reaction: Reaction, team_id: str, app_user: str | None
) -> Delivery | None:
    """The nudge a reaction checks off, if it is a check-off emoji on a nudge, by someone
    other than the app itself."""
    if reaction.emoji not in services.settings.check_emoji or reaction.item_type != "message":
        return None
    nudge = nudges.get(team_id, reaction.channel_id, reaction.ts)
    if nudge is None or nudge.is_celebration or reaction.user_id in ("", app_user):
        return None
    return nudge


def reaction_change(
    reaction: Reaction,
    team_id: str,
    nudge: Delivery,
    received: float,
    clock: Callable[[], datetime],
) -> ReactionChange:
    return ReactionChange(
        team_id=team_id,
        channel_id=reaction.channel_id,
        ts=reaction.ts,
        ref=nudge.ref,
        user_id=reaction.user_id,
        emoji=reaction.emoji,
        added=reaction.added,
        at=reaction.at or clock(),
        # An event without Slack's time is ordered by when it arrived.
        event_time=reaction.event_time or int(received),
        event_ts=reaction.event_ts or float(reaction.event_time) or received,
    )


@dataclass(frozen=True)
class HomeToPublish:
    team_id: str
    user_id: str


def on_app_home_opened(
    services: Services, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    if event.get("tab", "home") != "home":
        return
    team_id = str(context.team_id or body.get("team_id") or "")
    home = HomeToPublish(team_id, str(event["user"]))
    services.after_ack.hand_over(context, "Publishing the Home tab", home)


def publish_home_later(services: Services, context: BoltContext) -> None:
    services.after_ack.take_over(
        context, HomeToPublish, lambda home: publish_home(services, home.team_id, home.user_id)
    )


def publish_home(services: Services, team_id: str, user_id: str) -> None:
    """Show a person their Home tab (after the ack: it asks Slack)."""
    now = services.clock()
    store, slack = services.store, services.slack_for(team_id)
    member_of = member_role_channels(store, slack, team_id, user_id, now)
    # A manager's Home shows the district's campuses: Slack is asked who manages (when not
    # known) only once the workspace has role channels to show.
    has_campuses = bool(store.subscriptions(team_id))
    manager = has_campuses and manages(store, services.settings, slack, team_id, user_id, now)
    view = home_view(
        store,
        services.progression,
        team_id,
        user_id,
        now,
        services.settings.progression_tz,
        member_of,
        manager,
    )
    slack.views_publish(user_id=user_id, view=view)
