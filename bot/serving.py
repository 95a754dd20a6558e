"""Start-up for `progression-bot serve`: check Slack accepts the token, then serve Slack's
requests and run the weekly nudges in the same process."""

from __future__ import annotations

import atexit
import logging
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.server import serve_http, serve_socket_mode, wsgi_app
from bot.settings import Settings, SettingsError
from bot.slack_client import fanout_client, slack_client
from bot.views import NUDGE_MESSAGES
from progression.load import load_progression
from scheduler.jobs import NudgeScheduler, build_scheduler
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


def start_app(settings: Settings, *, socket_mode: bool) -> tuple[App, NudgeScheduler]:
    """The Bolt app and its running nudge scheduler, sharing one store and progression."""
    store = Store(settings.progression_db)
    progression = load_progression(settings.progression_file)
    scheduler = build_scheduler(
        store,
        progression,
        NUDGE_MESSAGES,
        fanout_client(settings),
        default_tz=settings.progression_tz,
    )
    app = create_app(
        settings,
        store,
        progression=progression,
        socket_mode=socket_mode,
        on_schedule_change=scheduler.rebuild,
    )
    scheduler.start()
    # Let a fan-out in progress finish its posts (and confirm them) before the process ends.
    atexit.register(scheduler.shutdown, wait=True)
    logger.info("Weekly nudges scheduled for %d workspace(s)", len(store.teams()))
    return app, scheduler


def run_http(settings: Settings, host: str, port: int) -> None:
    check_token(settings)

    def load() -> WSGIApplication:
        # Built in gunicorn's worker process, after the fork: no connection or thread crosses it.
        app, _ = start_app(settings, socket_mode=False)
        return wsgi_app(app)

    logger.info("Serving Slack requests at http://%s:%d/slack/events", host, port)
    serve_http(load, host, port)


def run_socket_mode(settings: Settings) -> None:
    check_token(settings)
    app, scheduler = start_app(settings, socket_mode=True)
    assert settings.slack_app_token is not None
    serve_socket_mode(app, settings.slack_app_token.get_secret_value())
    scheduler.shutdown(wait=True)
