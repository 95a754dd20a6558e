"""Helpers shared by the scheduler tests: a workspace with role channels, and what Slack got."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from scheduler.limits import SlackLimits
from store import Store
from tests.slack.web_api import TEAM_ID as TEAM
from tests.slack.web_api import SlackWebAPI

MANAGER = "U0MANAGER"
SUBSCRIBED_AT = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
# Retries come quickly in tests; the stand-in enforces no per-channel second unless asked.
FAST = SlackLimits(per_second=200, channel_interval=0.05, backoff_base=0.05, margin=0.0)


def subscribe(
    store: Store,
    *channels: str,
    role: str = "teacher",
    phases: tuple[int, ...] = (),
    first_week: str = "2026-W02",
    team: str = TEAM,
) -> None:
    for channel in channels:
        store.subscribe(team, channel, role, phases, MANAGER, first_week, SUBSCRIBED_AT)


def post_calls(api: SlackWebAPI) -> Counter[str]:
    """chat.postMessage calls per channel (every attempt, answered or not)."""
    return Counter(str(c.params.get("channel")) for c in api.calls("chat.postMessage"))


def texts(api: SlackWebAPI, channel: str) -> list[str]:
    return [
        str(c.params.get("text"))
        for c in api.calls("chat.postMessage")
        if c.params.get("channel") == channel
    ]
