"""The runner's "notice" duty: tell a workspace's managers of Slack's delivery health (a web
worker asked, bot/observe/delivery_health.py). One DM per manager, workspace, kind and hour,
however many workers asked; the managers are those of PROGRESSION_MANAGERS and whoever
subscribed the workspace's role channels."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.observe.delivery_health import FAILURES, LATE_SECONDS, SLACK_TURNS_OFF_AT, Notice
from bot.settings import Settings
from store import Store
from store.outbox import Work

logger = logging.getLogger("progression_bot.runner")


def notice_message(notice: Notice) -> dict[str, Any]:
    """What the managers read: what is happening, and what Slack will do about it."""
    off_at = f"{SLACK_TURNS_OFF_AT:.0%}"
    if notice.kind == FAILURES:
        share = notice.failed / notice.total if notice.total else 0.0
        text = (
            f":warning: Slack's deliveries of events to progression-bot are failing: "
            f"{notice.failed} of the last hour's {notice.total} ({share:.1%}) were answered "
            f"with an error or after Slack's {LATE_SECONDS:g} seconds. Slack may turn the app's "
            f"events off when {off_at} fail in an hour: check-offs by reaction and App Home "
            "would stop until they are turned on again. Whoever runs the server should look at "
            "its log and at `/readyz` now."
        )
    else:
        text = (
            ":warning: Slack is dropping this workspace's events for progression-bot "
            "(`app_rate_limited`: more events than Slack delivers to one app in a minute). "
            "Check-offs by reaction made meanwhile may not be counted; they count again once "
            f"the rush is over. If it keeps happening, Slack may turn the app's events off "
            f"(at {off_at} failed in an hour)."
        )
    return {"text": text}


@dataclass
class DeliveryNotices:
    """The runner's duty for "notice" work."""

    store: Store
    client: WebClient
    settings: Settings
    # Multi-workspace mode: each workspace's own token (bot/slack/client.py).
    client_for: Callable[[str], WebClient] | None = None
    _told: set[tuple[str, str, str]] = field(default_factory=set)

    def ready_at(self, work: Work, now: float) -> float:
        return now

    def do(self, work: Work, now: float) -> None:
        try:
            notice = Notice.from_subject(work.subject)
        except ValueError:
            logger.warning("A notice the runner cannot read: %r", work.subject)
            return
        key = (work.team_id, *notice.once_key)
        if key in self._told:
            return
        managers = self.managers(work.team_id)
        if not managers:
            logger.warning("No manager to tell of %s in %s", notice.kind, work.team_id)
        message = notice_message(notice)
        client = self.client_for(work.team_id) if self.client_for else self.client
        for manager in sorted(managers):
            try:
                client.chat_postMessage(channel=manager, text=message["text"])
            except SlackApiError as error:
                logger.warning("Could not tell %s: %s", manager, error.response.get("error"))
            except OSError as error:
                logger.warning("Could not tell %s: %s", manager, type(error).__name__)
        self._told.add(key)

    def managers(self, team_id: str) -> set[str]:
        subscribed = {s.subscribed_by for s in self.store.subscriptions(team_id) if s.active}
        return {m for m in subscribed if m} | set(self.settings.managers)
