"""`create_app`: the Bolt app, built from settings; nothing is built at import time."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot import views
from bot.context import Services, utc_now
from bot.listeners import register_all
from bot.settings import Settings
from bot.slack_client import slack_client
from progression.load import load_progression
from progression.model import Progression
from store import Store

logger = logging.getLogger("progression_bot")


class _NoTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, given our `client` (which
    carries that token), warns at every start that the token is unused: not an operator's
    concern, so not in their log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_no_token_warning = _NoTokenWarning()


def create_app(
    settings: Settings,
    store: Store,
    client: WebClient | None = None,
    *,
    progression: Progression | None = None,
    socket_mode: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> App:
    """The Bolt app. Lookups answer inside the ack, so requests need no listener thread."""
    progression = progression or load_progression(settings.progression_file)
    secret = settings.slack_signing_secret
    bolt_logger = logging.getLogger("progression_bot.slack")
    bolt_logger.addFilter(_no_token_warning)  # added once: the same filter is not added twice
    app = App(
        client=client or slack_client(settings),
        signing_secret=secret.get_secret_value() if secret else None,
        # Answer in the HTTP response itself: Bolt's default runner polls for ack() every
        # 10 ms, and a lookup needs no Slack call before it answers.
        process_before_response=True,
        # Socket Mode messages come over an authenticated WebSocket and carry no signature.
        request_verification_enabled=not socket_mode,
        logger=bolt_logger,
    )
    services = Services(settings=settings, store=store, progression=progression, clock=clock)
    register_all(app, services)
    app.error(on_listener_error)
    return app


def on_listener_error(
    error: Exception, body: dict[str, Any], logger: logging.Logger
) -> BoltResponse | None:
    """Log with the traceback; a slash command still gets a reply rather than Slack's banner."""
    logger.error("Listener failed: %s", type(error).__name__, exc_info=error)
    if "command" not in body:
        return None
    reply = {"response_type": "ephemeral", **views.internal_error_message()}
    return BoltResponse(
        status=200, body=json.dumps(reply), headers={"content-type": "application/json"}
    )
