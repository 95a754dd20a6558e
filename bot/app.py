"""`create_app`: the Bolt app, built from settings; nothing is built at import time."""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot import views
from bot.context import Services
from bot.listeners import register_all
from bot.listeners.departures import EVENTS as WORKSPACE_EVENTS
from bot.settings import Settings
from bot.slack.client import slack_client, workspace_clients
from bot.slack.installing import NOT_INSTALLED_MESSAGE, oauth_flow
from progression.model import Progression
from scheduler.clock import utc_now
from store import Store
from store.busy import is_busy, is_database_error, unavailable_reason

logger = logging.getLogger("progression_bot")


class _NoTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, given our `client` (which
    carries that token), warns at every start that the token is unused: not an operator's
    concern, so not in their log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_no_token_warning = _NoTokenWarning()

# Apps that do not check Slack's signatures themselves: Socket Mode's (its messages carry none)
# and those served behind the request guard (bot/edge/request_guard.py), which checks them.
_UNVERIFIED: weakref.WeakSet[App] = weakref.WeakSet()


def create_app(
    settings: Settings,
    store: Store,
    client: WebClient | None = None,
    *,
    progression: Progression | None = None,
    socket_mode: bool = False,
    behind_guard: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> App:
    """The Bolt app. Lookups answer inside the ack, so requests need no listener thread.

    `behind_guard`: served over HTTP behind the request guard, which has checked each
    request's signature with slack_sdk's verifier, so Bolt does not check it a second time.
    Otherwise Bolt checks it (except in Socket Mode)."""
    progression = progression or settings.load_progression()
    secret = settings.slack_signing_secret
    background = client or slack_client(settings)
    bolt_logger = logging.getLogger("progression_bot.slack")
    bolt_logger.addFilter(_no_token_warning)  # added once: the same filter is not added twice
    services = Services(
        settings=settings,
        store=store,
        progression=progression,
        slack=background,
        clock=clock,
        clients=workspace_clients(settings, store) if settings.multi_workspace else None,
    )
    app = App(
        client=client or slack_client(settings, in_request=True),
        **_installing(settings, store, background, clock),
        signing_secret=secret.get_secret_value() if secret else None,
        # Answer in the HTTP response itself: Bolt's default runner polls for ack() every
        # 10 ms, and a lookup needs no Slack call before it answers.
        process_before_response=True,
        # Socket Mode messages come over an authenticated WebSocket and carry no signature.
        request_verification_enabled=not (socket_mode or behind_guard),
        logger=bolt_logger,
        # A request no listener takes reaches `on_listener_error`, which acks it with a line
        # naming its kind; Bolt's own warning would log values from its body.
        raise_error_for_unhandled_request=True,
        # Lazy listeners (the work after the ack) run on our bounded pool (bot/slack/after_ack.py).
        listener_executor=services.after_ack,
    )
    app.use(RequireTeamAndUser())
    register_all(app, services)
    app.error(on_listener_error)
    if socket_mode or behind_guard:
        _UNVERIFIED.add(app)
    return app


def _installing(
    settings: Settings, store: Store, client: WebClient, clock: Callable[[], datetime]
) -> dict[str, Any]:
    """Multi-workspace mode's part of the app: Bolt's OAuth flow (/slack/install,
    /slack/oauth_redirect) and each request's token from its workspace's installation."""
    if not settings.multi_workspace:
        return {}
    flow, authorize = oauth_flow(settings, store, client, lambda: clock().timestamp())
    return {
        "oauth_flow": flow,
        "authorize": authorize,
        "installation_store_bot_only": True,
        "user_facing_authorize_error_message": NOT_INSTALLED_MESSAGE,
    }


def checks_signatures(app: App) -> bool:
    """Whether Bolt checks each HTTP request's signature in this app: False for an app built
    for Socket Mode or to be served behind the request guard."""
    return app not in _UNVERIFIED


def on_listener_error(
    error: Exception, body: dict[str, Any], logger: logging.Logger
) -> BoltResponse:
    """Log with the traceback, and still ack: a 500 (or no Socket Mode ack) makes Slack retry
    an event and show the person an error; a slash command gets a sentence instead.

    A database that could not be used (locked by another process, full, unreachable, a
    connection the server closed) is not a bug, and here a retry is what is wanted: one line
    says why, the command is told to try again, and an event gets a 503 so that Slack sends it
    again (with the same event id). An event is acknowledged only once it is stored: any
    other database error gets the 503 too (with the traceback), since a 2xx tells Slack that
    what it sent was taken care of."""
    if isinstance(error, BoltUnhandledRequestError):
        logger.info("Acked a request no listener takes: %s", payload_kind(body))
        return BoltResponse(status=200, body="")
    is_event = body.get("type") == "event_callback"
    reason = unavailable_reason(error)
    if reason is not None:
        state = "busy" if is_busy(error) else "unavailable"
        logger.warning("Database %s, %s refused for a retry: %s", state, payload_kind(body), reason)
        if is_event:
            return BoltResponse(status=503, body="busy, retry")
        if "command" not in body:
            return BoltResponse(status=200, body="")
        return _json_reply({"response_type": "ephemeral", **views.busy_message()})
    logger.error("Listener failed: %s", type(error).__name__, exc_info=error)
    if is_event and is_database_error(error):
        return BoltResponse(status=503, body="not stored, retry")
    if "command" not in body:
        return BoltResponse(status=200, body="")
    return _json_reply({"response_type": "ephemeral", **views.internal_error_message()})


def _json_reply(reply: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(reply), headers={"content-type": "application/json"}
    )


# The kinds of request Slack sends; a `type` outside these is named "another kind", so that
# no value from a body reaches the log.
_KINDS = {
    "event_callback": "an event",
    "block_actions": "a button or menu",
    "view_submission": "a view submission",
    "view_closed": "a view closed",
    "shortcut": "a shortcut",
    "message_action": "a message shortcut",
    "block_suggestion": "a menu's options",
    "interactive_message": "a legacy button",
}


def payload_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "a slash command"
    kind = body.get("type")
    return _KINDS.get(kind, "another kind") if isinstance(kind, str) else "another kind"


class RequireTeamAndUser(Middleware):
    """A payload that names no workspace or no person is refused: an empty team id must never
    read as "every workspace". (A `Middleware` subclass: no argument injection per request.)"""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") == "url_verification" or "ssl_check" in body:
            return next()
        if payload_team_and_user(body) is None:
            logger.warning("Refused a payload without a team id or a user id")
            # Still an ack over Socket Mode, or Slack sends it again; over HTTP, a 400.
            return BoltResponse(status=200 if req.mode == "socket_mode" else 400, body="")
        return next()


def payload_team_and_user(body: dict[str, Any]) -> tuple[str, str] | None:
    """The (team id, user id) a command, an interaction or one of our events comes from."""
    if "command" in body:
        team, user = body.get("team_id"), body.get("user_id")
    elif body.get("type") == "event_callback":
        event = body.get("event")
        event = event if isinstance(event, dict) else {}
        team = body.get("team_id")
        if event.get("type") in WORKSPACE_EVENTS:
            # The workspace's own events (the app removed) come from no one in particular.
            return (team, "") if isinstance(team, str) and team else None
        user = event.get("user")
    else:
        person = body.get("user")
        workspace = body.get("team")
        person = person if isinstance(person, dict) else {}
        workspace = workspace if isinstance(workspace, dict) else {}
        team, user = workspace.get("id") or person.get("team_id"), person.get("id")
    if not isinstance(team, str) or not team or not isinstance(user, str) or not user:
        return None
    return team, user
