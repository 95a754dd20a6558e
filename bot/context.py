"""What every listener needs, built once by `create_app` and handed to `register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient

from bot.settings import Settings
from bot.slack.after_ack import AfterAck
from progression.model import Progression
from scheduler.clock import utc_now
from store import Store


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    progression: Progression
    # For work after the ack (it may wait out a Retry-After); listeners get Bolt's, which
    # never waits.
    slack: WebClient
    clock: Callable[[], datetime] = utc_now
    after_ack: AfterAck = field(default_factory=AfterAck)
    # Multi-workspace mode: each workspace's client for work after the ack, with its token.
    clients: Callable[[str], WebClient] | None = None

    def slack_for(self, team_id: str) -> WebClient:
        """The client for work after the ack in the workspace `team_id`: `slack`, or in
        multi-workspace mode one with that workspace's token."""
        return self.clients(team_id) if self.clients is not None else self.slack
