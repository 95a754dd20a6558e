"""Who is a bot, from `users.info` (users:read), asked once per user and remembered.

Slack's reaction events do not say whether the user is a bot, and asking in the listener would
hold the response (and, in a Monday burst of first-time users, wait out users.info's rate limit
past Slack's 3 seconds). So a web worker records a reaction by a user never looked up at once,
as a person's, and asks the runner (an outbox row, in the same transaction) to look the user up;
a bot's check-offs are then taken back, normally well before the live count's next update
shows them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.background.live_counts import TokenBucket
from store import Store
from store.outbox import Work

logger = logging.getLogger("progression_bot.bot_users")

# users.info is Tier 4 (100+ a minute): a burst of first-time users waits in the outbox rather
# than in Slack's 429s.
LOOKUPS_PER_MINUTE = 100.0
LOOKUP_BURST = 20.0


class KnownBots:
    """A web worker's view: what the store knows, remembered once known (it never changes)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._known: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    def is_bot(self, team_id: str, user_id: str) -> bool | None:
        """True or False once looked up; None for a user the runner has not looked up yet."""
        key = (team_id, user_id)
        with self._lock:
            known = self._known.get(key)
        if known is None:
            known = self.store.known_bot(team_id, user_id)
            if known is not None:
                with self._lock:
                    self._known[key] = known
        return known


@dataclass
class UserLookups:
    """The runner's duty for "user" work: one `users.info` per user, within Tier 4."""

    store: Store
    client: WebClient
    clock: Callable[[], datetime]
    monotonic: Callable[[], float] = time.monotonic
    _bucket: TokenBucket | None = field(default=None)
    # Multi-workspace mode: each workspace's client, with its token (bot/slack/client.py).
    client_for: Callable[[str], WebClient] | None = None

    def ready_at(self, work: Work, now: float) -> float:
        bucket = self._tokens()
        return now + max(0.0, bucket.available_at(self.monotonic()) - self.monotonic())

    def do(self, work: Work, now: float) -> None:
        self._tokens().take(self.monotonic())
        team_id, user_id = work.team_id, work.subject
        if self.store.known_bot(team_id, user_id) is None:
            is_bot = self._ask(team_id, user_id)
            if is_bot is None:
                return  # asked again at the user's next reaction
            self.store.remember_user(team_id, user_id, is_bot, self.clock())
        if self.store.known_bot(team_id, user_id):
            # Also when already known: a reaction recorded while the look-up was under way.
            taken = self.store.remove_user_checkoffs(team_id, user_id, self.clock())
            if taken:
                logger.info("Took back %d check-off(s) by bot user %s", len(taken), user_id)

    def _ask(self, team_id: str, user_id: str) -> bool | None:
        client = self.client_for(team_id) if self.client_for else self.client
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                return False
            logger.warning("users.info for %s failed: %s", user_id, error.response.get("error"))
            return None
        return bool(user.get("is_bot")) or user.get("id") == "USLACKBOT"

    def _tokens(self) -> TokenBucket:
        if self._bucket is None:
            now = self.monotonic()
            self._bucket = TokenBucket(LOOKUPS_PER_MINUTE / 60, LOOKUP_BURST, LOOKUP_BURST, now)
        return self._bucket
