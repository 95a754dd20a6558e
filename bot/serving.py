"""Start-up for `progression-bot serve`: check Slack accepts the token, then serve."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.server import serve_http, serve_socket_mode, wsgi_app
from bot.settings import Settings, SettingsError
from bot.slack_client import slack_client
from store import Store

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

logger = logging.getLogger("progression_bot")


def check_token(settings: Settings) -> None:
    """One `auth.test` before serving, so a wrong token is one clear line, not a traceback."""
    try:
        identity = slack_client(settings, retries=1).auth_test()
    except SlackApiError as error:
        raise SettingsError(
            f"SLACK_BOT_TOKEN was refused by Slack ({error.response.get('error')}): "
            "see README.md, section 'Create the Slack app'"
        ) from None
    except OSError as error:
        raise SettingsError(
            f"SLACK_API_URL: could not reach Slack at {settings.slack_api_url} ({error})"
        ) from None
    logger.info("Slack workspace %s, bot user %s", identity.get("team"), identity.get("user_id"))


def run_http(settings: Settings, host: str, port: int) -> None:
    check_token(settings)

    def load() -> WSGIApplication:
        # Built in gunicorn's worker process, after the fork: no connections cross it.
        return wsgi_app(create_app(settings, Store(settings.progression_db)))

    logger.info("Serving Slack requests at http://%s:%d/slack/events", host, port)
    serve_http(load, host, port)


def run_socket_mode(settings: Settings) -> None:
    check_token(settings)
    app = create_app(settings, Store(settings.progression_db), socket_mode=True)
    assert settings.slack_app_token is not None
    serve_socket_mode(app, settings.slack_app_token.get_secret_value())
