"""Events: check-off reactions on nudges, and the App Home tab.

`process_before_response` keeps the HTTP response waiting for the listener, so a listener
never calls Slack: a reaction is only recorded in SQLite here (the nudge's live count is
updated later by `LiveCount`), and the Home tab is published after the ack.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import Services
from bot.handlers.progress import home_view
from bot.live_count import TokenBucket, live_count_for
from bot.membership import member_role_channels
from store import Delivery, Store
from store.busy import is_busy
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


class BotUsers:
    """Who is a bot, from `users.info` (users:read), asked once per user and remembered.

    Slack's reaction events do not say whether the user is a bot, and asking in the listener
    would hold the response (and, in a Monday burst of first-time users, wait out users.info's
    rate limit past Slack's 3 seconds). So a reaction by a user never looked up is recorded at
    once and the user is looked up here, in the background; a bot's check-offs are then taken
    back (`on_bot`), normally well before the live count's next update shows them.
    """

    def __init__(
        self, services: Services, client: WebClient, on_bot: Callable[[str, str], None]
    ) -> None:
        self.store = services.store
        self.clock = services.clock
        self.client = client
        self.on_bot = on_bot
        self._known: dict[tuple[str, str], bool] = {}
        self._queued: set[tuple[str, str]] = set()
        self._queue: queue.Queue[tuple[str, str]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def is_bot(self, team_id: str, user_id: str) -> bool:
        """True for a known bot; a user not looked up yet is looked up in the background."""
        key = (team_id, user_id)
        with self._lock:
            known = self._known.get(key)
        if known is None:
            known = self.store.known_bot(team_id, user_id)
            if known is None:
                self._look_up_later(key)
                return False
            with self._lock:
                self._known[key] = known
        return known

    def _look_up_later(self, key: tuple[str, str]) -> None:
        with self._lock:
            if key in self._queued:
                return
            self._queued.add(key)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bot-users", daemon=True)
                self._thread.start()
        self._queue.put(key)

    def _run(self) -> None:
        bucket = TokenBucket(LOOKUPS_PER_MINUTE / 60, LOOKUP_BURST, LOOKUP_BURST, time.monotonic())
        while True:
            team_id, user_id = self._queue.get()
            # users.info is Tier 4 (100+ a minute): a burst of first-time users queues here
            # rather than in Slack's 429s; until looked up, a user counts as a person.
            time.sleep(max(0.0, bucket.available_at(time.monotonic()) - time.monotonic()))
            bucket.take(time.monotonic())
            try:
                self._look_up(team_id, user_id)
            except Exception as error:
                if not is_busy(error):
                    logger.exception("Looking up %s failed", user_id)
                else:  # not remembered: looked up again at the user's next reaction
                    logger.warning("Looking up %s: the database stayed locked", user_id)
            finally:
                with self._lock:
                    self._queued.discard((team_id, user_id))

    def _look_up(self, team_id: str, user_id: str) -> None:
        is_bot = self._ask(user_id)
        if is_bot is None:
            return  # asked again at the user's next reaction
        self.store.remember_user(team_id, user_id, is_bot, self.clock())
        with self._lock:
            self._known[(team_id, user_id)] = is_bot
        if is_bot:
            self.on_bot(team_id, user_id)

    def _ask(self, user_id: str) -> bool | None:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                return False
            logger.warning("users.info for %s failed: %s", user_id, error.response.get("error"))
            return None
        return bool(user.get("is_bot")) or user.get("id") == "USLACKBOT"


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
    def take_back_bot(team_id: str, user_id: str) -> None:
        for channel_id, ts in services.store.remove_user_checkoffs(team_id, user_id):
            live_count_for(app, services).touch(team_id, channel_id, ts)

    bots = BotUsers(services, services.slack, take_back_bot)
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
        if reaction.user_id in ("", context.bot_user_id) or bots.is_bot(team_id, reaction.user_id):
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
        outcome = store.record_reaction(change, body.get("event_id"), received)
        if outcome in ("checked", "unchecked"):
            live_count_for(app, services).touch(team_id, reaction.channel_id, reaction.ts)

    # Bolt tries listeners in order: the frequent events first.
    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)
    app.event("app_home_opened")(on_app_home_opened)
