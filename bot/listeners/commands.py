"""`/progression`: parse, check who may, answer, reply privately unless asked to share."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient

from bot import views
from bot.context import Services
from bot.grammar import (
    MANAGER_REQUESTS,
    ActionLookup,
    Command,
    CommandError,
    Progress,
    parse_command,
)
from bot.handlers import CommandContext, load_handlers
from bot.handlers.lookups import LOOKUPS
from bot.managers import is_manager, who_can_manage

COMMAND = "/progression"
COMMANDS = (COMMAND,)
MAX_CACHED_REPLIES = 1024
JSON_HEADERS: dict[str, str | Sequence[str]] = {"content-type": "application/json;charset=utf-8"}


def register(app: App, services: Services) -> None:
    handlers = load_handlers()
    # The serialized private reply to a lookup that depends on nothing but its text
    # (`phase 3`), so a repeated lookup costs a dict look-up, not a render and a json.dumps.
    replies: dict[str, str] = {}

    def on_progression(ack: Ack, command: dict[str, Any], client: WebClient) -> BoltResponse | None:
        text = command.get("text") or ""
        if (cached := replies.get(text)) is not None:
            return BoltResponse(status=200, body=cached, headers=JSON_HEADERS)
        parsed: Command | None = None
        try:
            parsed = parse_command(text, services.progression)
            ctx = CommandContext(
                services=services,
                client=client,
                team_id=command.get("team_id", ""),
                channel_id=command.get("channel_id", ""),
                user_id=command["user_id"],
                now=services.clock(),
            )
            _check_allowed(parsed, ctx)
            handler = handlers[type(parsed.request)]
            reply = _reply(parsed, text, handler(parsed.request, ctx), ctx.user_id)
        except CommandError as error:
            reply = {"response_type": "ephemeral", **views.error_message(error)}
            parsed = None  # an error reply may depend on who asked (managers)
        if parsed is not None and _depends_on_text_alone(parsed):
            body = json.dumps(reply)
            if len(replies) >= MAX_CACHED_REPLIES:
                replies.pop(next(iter(replies)))
            replies[text] = body
            return BoltResponse(status=200, body=body, headers=JSON_HEADERS)
        ack(**reply)
        return None

    app.command(COMMAND)(on_progression)


def _depends_on_text_alone(parsed: Command) -> bool:
    # An action lookup shows who in the channel checked it off; a share names who shared.
    request = parsed.request
    return (
        isinstance(request, LOOKUPS) and not isinstance(request, ActionLookup) and not parsed.share
    )


def needs_manager(parsed: Command) -> bool:
    request = parsed.request
    return isinstance(request, MANAGER_REQUESTS) or request == Progress("all")


def _check_allowed(parsed: Command, ctx: CommandContext) -> None:
    settings = ctx.services.settings
    if needs_manager(parsed) and not is_manager(ctx.user_id, ctx.client, settings):
        raise CommandError("Only managers can do that.", who_can_manage(settings))


def _reply(parsed: Command, text: str, message: views.Message, user_id: str) -> dict[str, Any]:
    """Lookups are private with a share button, or shared when asked; the rest is private."""
    if not isinstance(parsed.request, LOOKUPS):
        return {"response_type": "ephemeral", **message}
    if parsed.share:
        return {"response_type": "in_channel", **views.shared_message(message, user_id)}
    return {"response_type": "ephemeral", **views.with_share_button(message, text)}
