"""A workspace that removes the app: `app_uninstalled`, and `tokens_revoked` for its bot token.

Either can come first, and each can come more than once. The first marks the workspace as
departed (store/forget.py): its nudges, digests, reminders and live counts stop at once, with no
call made with its dead token, and its data is kept `PROGRESSION_RETENTION_DAYS` for a reinstall
to pick up, then deleted by the runner. Only the store is written here, so the ack waits for
nothing but it (a database that fails gets Slack to send the event again).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.context import Services
from bot.listeners.binding import with_services

EVENTS = ("app_uninstalled", "tokens_revoked")

logger = logging.getLogger("progression_bot.events")


def register(app: App, services: Services) -> None:
    app.event("app_uninstalled")(with_services(on_app_uninstalled, services))
    app.event("tokens_revoked")(with_services(on_tokens_revoked, services))


def on_app_uninstalled(services: Services, body: dict[str, Any], context: BoltContext) -> None:
    _depart(services, _team(body, context), "the app was uninstalled")


def on_tokens_revoked(
    services: Services, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    tokens = event.get("tokens") or {}
    if not tokens.get("bot"):
        return  # people's own tokens: the app posts with its bot token alone
    _depart(services, _team(body, context), "the app's bot token was revoked")


def _team(body: dict[str, Any], context: BoltContext) -> str:
    return str(context.team_id or body.get("team_id") or "")


def _depart(services: Services, team_id: str, reason: str) -> None:
    if not team_id:
        return
    if services.store.mark_departed(team_id, reason, services.clock()):
        days = services.settings.progression_retention_days
        logger.warning(
            "%s left: %s; its nudges stop now and its data is deleted in %d day(s) "
            "unless it installs the app again",
            team_id,
            reason,
            days,
        )
