"""`/progression`: parse, check who may, answer, reply privately unless asked to share.

Two listeners, chosen by what the command's text asks (`read_command`, once a request). Most
commands, and every lookup, are answered in the HTTP response itself (`answer_now`). A command
whose answer needs Slack first (the announcement of `subscribe`, or users.info for a manager not
known yet) is promised at once (`promise_answer`), and its lazy function (`answer_later`) sends
the answer through the command's response_url once Slack has answered. A lookup takes no lazy
function: no copy of the request, no hand-off to a thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot import views
from bot.context import Services
from bot.grammar import (
    ActionLookup,
    Command,
    CommandError,
    Progress,
    Subscribe,
    changes_something,
    for_managers,
    parse_command,
)
from bot.handlers import CommandContext, Handler, load_handlers
from bot.handlers.lookups import LOOKUPS
from bot.listeners.binding import with_services
from bot.slack.managers import ask_slack, known_manager, who_can_manage
from bot.slack.membership import remembered_role_channels
from bot.slack.replays import Seen, seen_before
from bot.slack.response_url import send_to_response_url
from bot.views import waiting
from bot.views.mrkdwn import without_unsafe
from store.busy import unavailable_reason

COMMAND = "/progression"
COMMANDS = (COMMAND,)
MAX_CACHED_REPLIES = 1024
JSON_HEADERS: dict[str, str | Sequence[str]] = {"content-type": "application/json;charset=utf-8"}
# The context key of what `read_command` made of the text.
READING = "progression_reading"
NO_WAY_TO_ANSWER = CommandError("Slack sent no way to answer that later.", "Please try again.")

Handlers = Mapping[type, Handler]

logger = logging.getLogger("progression_bot.commands")


def register(app: App, services: Services) -> None:
    handlers, replies = load_handlers(), Replies()
    # Bolt tries listeners in order: the one that answers lookups first. It is chosen by a
    # listener middleware, not a matcher: Bolt injects a matcher's arguments, which cost a
    # lookup about a tenth more time in the web worker (measured).
    app.command(COMMAND, middleware=[AnsweredNow(services, replies)])(
        with_services(answer_now, services, handlers, replies)
    )
    app.command(COMMAND, matchers=[with_services(is_answered_later, services, replies)])(
        ack=with_services(promise_answer, services),
        lazy=[with_services(answer_later, services, handlers)],
    )


class Replies:
    """The serialized private reply to a lookup that depends on nothing but its text
    (`phase 3`), so a repeated lookup costs a dict look-up, not a render and a json.dumps."""

    def __init__(self, most: int = MAX_CACHED_REPLIES) -> None:
        self._most = most
        self._bodies: dict[str, str] = {}

    def get(self, text: str) -> str | None:
        return self._bodies.get(text)

    def keep(self, text: str, reply: dict[str, Any]) -> str:
        body = json.dumps(reply)
        if len(self._bodies) >= self._most:
            self._bodies.pop(next(iter(self._bodies)), None)
        self._bodies[text] = body
        return body


@dataclass(frozen=True)
class Reading:
    """What a command's text asks: a reply already made, a command, or an error to show."""

    text: str
    cached: str | None = None
    command: Command | None = None
    error: CommandError | None = None
    later: bool = False  # its answer needs Slack first
    known: bool | None = None  # whether the person manages, when known without Slack

    def parsed(self) -> Command:
        if self.command is None:
            raise self.error or CommandError("Nothing to answer.")
        return self.command


def read_command(
    services: Services, replies: Replies, command: dict[str, Any], context: BoltContext
) -> Reading:
    """The text read once a request, kept in its context for the listener it is routed to."""
    if (reading := context.get(READING)) is not None:
        return reading
    text = without_unsafe(command.get("text") or "")
    if (cached := replies.get(text)) is not None:
        reading = Reading(text, cached=cached)
    else:
        try:
            parsed = parse_command(text, services.progression)
        except CommandError as error:
            reading = Reading(text, error=error)
        else:
            team_id, user_id = command["team_id"], command["user_id"]
            now = services.clock()
            known = known_manager(services.store, services.settings, team_id, user_id, now)
            later = _needs_slack(parsed, known) or _needs_membership(
                services, parsed, team_id, user_id, now
            )
            reading = Reading(text, command=parsed, later=later, known=known)
    context[READING] = reading
    return reading


class AnsweredNow(Middleware):
    """Lets through what is answered in the response; for anything else it does not call
    `next()`, which tells Bolt this listener is not for the request, and Bolt tries the next."""

    def __init__(self, services: Services, replies: Replies) -> None:
        self.services, self.replies = services, replies

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        reading = read_command(self.services, self.replies, req.body, req.context)
        return None if reading.later else next()


def is_answered_later(
    services: Services, replies: Replies, command: dict[str, Any], context: BoltContext
) -> bool:
    return read_command(services, replies, command, context).later


# --- answered in the response ---------------------------------------------------------------


def answer_now(
    services: Services,
    handlers: Handlers,
    replies: Replies,
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    request: BoltRequest,
    context: BoltContext,
) -> BoltResponse | None:
    reading: Reading = context[READING]
    if reading.cached is not None:
        return BoltResponse(status=200, body=reading.cached, headers=JSON_HEADERS)
    try:
        parsed = reading.parsed()
        if (refusal := _replayed(parsed, request, services)) is not None:
            ack(**refusal)
            return None
        ctx = _command_context(services, client, command)
        _check_allowed(parsed, ctx)
        answer = handlers[type(parsed.request)](parsed.request, ctx)
        reply = _reply(parsed, reading.text, answer, ctx.user_id)
    except CommandError as error:
        ack(**_error_reply(error))  # not kept: an error may depend on who asked (managers)
        return None
    if _depends_on_text_alone(parsed):
        body = replies.keep(reading.text, reply)
        return BoltResponse(status=200, body=body, headers=JSON_HEADERS)
    ack(**reply)
    return None


# --- answered once Slack has ---------------------------------------------------------------


@dataclass(frozen=True)
class Later:
    """A command handed over to be answered after the ack (copied with the request)."""

    command: Command
    text: str
    team_id: str
    channel_id: str
    user_id: str
    response_url: str
    now: datetime
    channel_name: str = ""

    @classmethod
    def of(cls, parsed: Command, text: str, command: dict[str, Any], now: datetime) -> Later:
        team_id, user_id = command["team_id"], command["user_id"]
        channel_id, response_url = command.get("channel_id", ""), command["response_url"]
        channel_name = str(command.get("channel_name") or "")
        return cls(parsed, text, team_id, channel_id, user_id, response_url, now, channel_name)


def promise_answer(
    services: Services,
    ack: Ack,
    command: dict[str, Any],
    request: BoltRequest,
    context: BoltContext,
) -> None:
    """Say at once what is under way, and hand the command over to `answer_later`."""
    reading: Reading = context[READING]
    parsed = reading.parsed()
    if (refusal := _replayed(parsed, request, services)) is not None:
        ack(**refusal)
    elif not command.get("response_url"):
        ack(**_error_reply(NO_WAY_TO_ANSWER))
    else:
        later = Later.of(parsed, reading.text, command, services.clock())
        promise = _promise(services, context, later, manager=reading.known is True)
        ack(response_type="ephemeral", **promise)


def _promise(
    services: Services, context: BoltContext, later: Later, manager: bool
) -> views.Message:
    what = "/progression " + type(later.command.request).__name__.lower()
    if not services.after_ack.hand_over(context, what, later):
        return waiting.busy_message()
    # Nothing is said to be under way before the person is known to manage.
    if isinstance(later.command.request, Subscribe) and manager:
        return waiting.subscribing_message(later.channel_id)
    if not for_managers(later.command.request):
        return waiting.finding_channels_message()
    return waiting.checking_manager_message()


def answer_later(services: Services, handlers: Handlers, context: BoltContext) -> None:
    services.after_ack.take_over(
        context,
        Later,
        lambda later: _send_answer(services, handlers, later),
        lambda later: send_to_response_url(
            later.response_url,
            {"response_type": "ephemeral", **waiting.slack_failed_message()},
            "a failure notice",
        ),
    )


def _send_answer(services: Services, handlers: Handlers, later: Later) -> None:
    ctx = CommandContext(
        services,
        services.slack_for(later.team_id),
        later.team_id,
        later.channel_id,
        later.user_id,
        later.now,
        channel_name=later.channel_name,
        may_ask_slack=True,
    )
    parsed = later.command
    try:
        _check_allowed(parsed, ctx, ask=True)
        answer = handlers[type(parsed.request)](parsed.request, ctx)
        reply = _reply(parsed, later.text, answer, later.user_id)
    except CommandError as error:
        reply = _error_reply(error)
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None:
            raise
        # Another process holds the database's write lock, or it cannot be reached: nothing
        # was changed.
        logger.warning("Database busy or unavailable, /progression refused: %s", reason)
        reply = {"response_type": "ephemeral", **views.busy_message()}
    send_to_response_url(later.response_url, reply, "the answer to /progression")


# --- shared by both ------------------------------------------------------------------------


def _needs_slack(parsed: Command, known: bool | None) -> bool:
    if isinstance(parsed.request, Subscribe):
        # The announcement is also the check that the app can post there; someone known not
        # to manage is refused at once.
        return known is not False
    return for_managers(parsed.request) and known is None


def _needs_membership(
    services: Services, parsed: Command, team_id: str, user_id: str, now: datetime
) -> bool:
    """`progress me` counts the moves of the person's role channels: which those are is asked
    of Slack (users.conversations) after the ack, unless it is known from a moment ago."""
    if parsed.request != Progress("me"):
        return False
    return remembered_role_channels(services.store, team_id, user_id, now) is None


def _replayed(parsed: Command, request: BoltRequest, services: Services) -> dict[str, Any] | None:
    """The answer to a command that would act and was seen before (nothing), or whose memory
    could not be asked in time ("busy"); None when it may act."""
    if not changes_something(parsed.request):
        return None
    seen = seen_before(request, services)
    if seen is Seen.FIRST:
        return None
    return {"response_type": "ephemeral", **views.busy_message()} if seen is Seen.UNKNOWN else {}


def _command_context(
    services: Services, client: WebClient, command: dict[str, Any]
) -> CommandContext:
    return CommandContext(
        services=services,
        client=client,
        team_id=command["team_id"],
        channel_id=command.get("channel_id", ""),
        user_id=command["user_id"],
        now=services.clock(),
        channel_name=str(command.get("channel_name") or ""),
    )


def _check_allowed(parsed: Command, ctx: CommandContext, *, ask: bool = False) -> None:
    """In the request, only what is known without Slack; after the ack, Slack may be asked."""
    settings = ctx.services.settings
    if not for_managers(parsed.request):
        return
    store = ctx.services.store
    allowed = known_manager(store, settings, ctx.team_id, ctx.user_id, ctx.now)
    if allowed is None and ask:
        allowed = ask_slack(store, ctx.client, ctx.team_id, ctx.user_id, ctx.now)
    if not allowed:
        raise CommandError(
            "Only managers can do that.", who_can_manage(settings, store, ctx.team_id)
        )


def _reply(parsed: Command, text: str, message: views.Message, user_id: str) -> dict[str, Any]:
    """Lookups are private with a share button, or shared when asked; the rest is private."""
    if not isinstance(parsed.request, LOOKUPS):
        return {"response_type": "ephemeral", **message}
    if parsed.share:
        return {"response_type": "in_channel", **views.shared_message(message, user_id)}
    return {"response_type": "ephemeral", **views.with_share_button(message, text)}


def _error_reply(error: CommandError) -> dict[str, Any]:
    return {"response_type": "ephemeral", **views.error_message(error)}


def _depends_on_text_alone(parsed: Command) -> bool:
    # An action lookup shows who in the channel checked it off; a share names who shared.
    request = parsed.request
    return (
        isinstance(request, LOOKUPS) and not isinstance(request, ActionLookup) and not parsed.share
    )
