"""`/progression`: parse, check who may, answer, reply privately unless asked to share.

Most answers are in the HTTP response itself. An answer that needs Slack (the announcement of
`subscribe`, or users.info for a manager not known yet) is promised at once and sent through
the command's response_url once Slack has answered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot import views
from bot.context import Services
from bot.grammar import (
    MANAGER_REQUESTS,
    ActionLookup,
    Command,
    CommandError,
    Progress,
    Subscribe,
    changes_something,
    parse_command,
)
from bot.handlers import CommandContext, Handler, load_handlers
from bot.handlers.lookups import LOOKUPS
from bot.slack.managers import ask_slack, known_manager, who_can_manage
from bot.slack.replays import Seen, seen_before
from bot.slack.response_url import send_to_response_url
from bot.views import waiting
from bot.views.mrkdwn import without_unsafe
from store.busy import unavailable_reason

COMMAND = "/progression"
COMMANDS = (COMMAND,)
MAX_CACHED_REPLIES = 1024
JSON_HEADERS: dict[str, str | Sequence[str]] = {"content-type": "application/json;charset=utf-8"}

logger = logging.getLogger("progression_bot.commands")


def register(app: App, services: Services) -> None:
    handlers = load_handlers()
    # The serialized private reply to a lookup that depends on nothing but its text
    # (`phase 3`), so a repeated lookup costs a dict look-up, not a render and a json.dumps.
    replies: dict[str, str] = {}

    def on_progression(
        ack: Ack, command: dict[str, Any], client: WebClient, request: BoltRequest
    ) -> BoltResponse | None:
        text = without_unsafe(command.get("text") or "")
        if (cached := replies.get(text)) is not None:
            return BoltResponse(status=200, body=cached, headers=JSON_HEADERS)
        parsed: Command | None = None
        try:
            parsed = parse_command(text, services.progression)
            if changes_something(parsed.request):
                seen = seen_before(request, services)
                if seen is not Seen.FIRST:
                    ack(**(_busy_reply() if seen is Seen.UNKNOWN else {}))
                    return None
            ctx = CommandContext(
                services=services,
                client=client,
                team_id=command["team_id"],
                channel_id=command.get("channel_id", ""),
                user_id=command["user_id"],
                now=services.clock(),
            )
            if _needs_slack(parsed, ctx):
                ack(**_answer_later(parsed, text, ctx, handlers, command.get("response_url")))
                return None
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


def _busy_reply() -> dict[str, Any]:
    return {"response_type": "ephemeral", **views.busy_message()}


def _needs_slack(parsed: Command, ctx: CommandContext) -> bool:
    services = ctx.services
    known = known_manager(services.store, services.settings, ctx.team_id, ctx.user_id, ctx.now)
    if isinstance(parsed.request, Subscribe):
        # The announcement is also the check that the app can post there; someone known not
        # to manage is refused at once.
        return known is not False
    return needs_manager(parsed) and known is None


def _answer_later(
    parsed: Command,
    text: str,
    ctx: CommandContext,
    handlers: dict[type, Handler],
    response_url: str | None,
) -> dict[str, Any]:
    """Hand the request to the pool; what to answer now."""
    if not response_url:
        raise CommandError("Slack sent no way to answer that later.", "Please try again.")
    later = CommandContext(
        services=ctx.services,
        client=ctx.services.slack,
        team_id=ctx.team_id,
        channel_id=ctx.channel_id,
        user_id=ctx.user_id,
        now=ctx.now,
    )

    def answer() -> None:
        try:
            _check_allowed(parsed, later, ask=True)
            message = handlers[type(parsed.request)](parsed.request, later)
            reply = _reply(parsed, text, message, later.user_id)
        except CommandError as error:
            reply = {"response_type": "ephemeral", **views.error_message(error)}
        except Exception as error:
            reason = unavailable_reason(error)
            if reason is None:
                raise
            # Another process holds the database's write lock, or it cannot be reached:
            # nothing was changed.
            logger.warning("Database busy or unavailable, /progression refused: %s", reason)
            reply = _busy_reply()
        send_to_response_url(response_url, reply, "the answer to /progression")

    def tell() -> None:
        reply = {"response_type": "ephemeral", **waiting.slack_failed_message()}
        send_to_response_url(response_url, reply, "a failure notice")

    what = "/progression " + type(parsed.request).__name__.lower()
    if not ctx.services.after_ack.submit(answer, what, tell):
        return {"response_type": "ephemeral", **waiting.busy_message()}
    if isinstance(parsed.request, Subscribe):
        return {"response_type": "ephemeral", **waiting.subscribing_message(ctx.channel_id)}
    return {"response_type": "ephemeral", **waiting.checking_manager_message()}


def _depends_on_text_alone(parsed: Command) -> bool:
    # An action lookup shows who in the channel checked it off; a share names who shared.
    request = parsed.request
    return (
        isinstance(request, LOOKUPS) and not isinstance(request, ActionLookup) and not parsed.share
    )


def needs_manager(parsed: Command) -> bool:
    request = parsed.request
    return isinstance(request, MANAGER_REQUESTS) or request == Progress("all")


def _check_allowed(parsed: Command, ctx: CommandContext, *, ask: bool = False) -> None:
    """In the request, only what is known without Slack; after the ack, Slack may be asked."""
    settings = ctx.services.settings
    if not needs_manager(parsed):
        return
    store = ctx.services.store
    allowed = known_manager(store, settings, ctx.team_id, ctx.user_id, ctx.now)
    if allowed is None and ask:
        allowed = ask_slack(store, ctx.client, ctx.team_id, ctx.user_id, ctx.now)
    if not allowed:
        raise CommandError("Only managers can do that.", who_can_manage(settings))


def _reply(parsed: Command, text: str, message: views.Message, user_id: str) -> dict[str, Any]:
    """Lookups are private with a share button, or shared when asked; the rest is private."""
    if not isinstance(parsed.request, LOOKUPS):
        return {"response_type": "ephemeral", **message}
    if parsed.share:
        return {"response_type": "in_channel", **views.shared_message(message, user_id)}
    return {"response_type": "ephemeral", **views.with_share_button(message, text)}
