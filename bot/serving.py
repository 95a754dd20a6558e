"""Start-up for `progression-bot serve`: check Slack accepts the token, then serve Slack's
requests and run the weekly nudges in the same process."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.app import create_app
from bot.context import utc_now
from bot.request_guard import RequestGuard
from bot.server import serve_http, serve_socket_mode, wsgi_app
from bot.settings import Settings
from bot.slack_checks import check_app_token, check_token
from progression.load import load_progression
from scheduler.fanout import fanout_client
from scheduler.jobs import NudgeScheduler, build_scheduler
from store import BACKGROUND_WRITE_WAIT_SECONDS, Store

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

logger = logging.getLogger("progression_bot")


def start_app(
    settings: Settings, *, socket_mode: bool, clock: Callable[[], datetime] = utc_now
) -> tuple[App, NudgeScheduler]:
    """The Bolt app and its running nudge scheduler, sharing one store, progression and clock."""
    store = Store(settings.progression_db)
    progression = load_progression(settings.progression_file)
    # The scheduler's own store: its writes may wait for a lock far longer than a request's.
    background = Store(settings.progression_db, write_wait=BACKGROUND_WRITE_WAIT_SECONDS)
    scheduler = build_scheduler(
        settings, background, progression, fanout_client(settings), clock=clock
    )
    app = create_app(
        settings,
        store,
        progression=progression,
        socket_mode=socket_mode,
        on_schedule_change=scheduler.rebuild,
        clock=clock,
    )
    scheduler.start()
    # Let a fan-out in progress finish its posts (and confirm them) before the process ends.
    atexit.register(stop_scheduler, scheduler)
    logger.info("Weekly nudges scheduled for %d workspace(s)", len(store.teams()))
    return app, scheduler


def stop_scheduler(scheduler: NudgeScheduler) -> None:
    """Once, whoever asks first (Socket Mode's end, or the process's exit)."""
    if scheduler.running:
        scheduler.shutdown(wait=True)


def start_app_alone(settings: Settings, *, socket_mode: bool) -> App:
    """The Bolt app without the weekly nudges (`serve --no-scheduler`: cron runs `nudge`)."""
    store = Store(settings.progression_db)
    progression = load_progression(settings.progression_file)
    app = create_app(settings, store, progression=progression, socket_mode=socket_mode)
    logger.info("Weekly nudges are not scheduled here: run `progression-bot nudge` (cron)")
    return app


def run_http(settings: Settings, host: str, port: int, *, nudges: bool = True) -> None:
    _log_identity(check_token(settings))
    # Opened once before gunicorn forks: a wrong PROGRESSION_DB or an unreachable server is one
    # line here, not a worker's traceback, and the migrations are applied before any worker.
    Store(settings.progression_db).close()

    def load() -> WSGIApplication:
        # Built in gunicorn's worker process, after the fork: no connection or thread crosses it.
        if nudges:
            app, _ = start_app(settings, socket_mode=False)
        else:
            app = start_app_alone(settings, socket_mode=False)
        assert settings.slack_signing_secret is not None  # checked by load_settings for --http
        guard = RequestGuard(settings.slack_signing_secret.get_secret_value())
        return wsgi_app(app, guard)

    logger.info("Serving Slack requests at http://%s:%d/slack/events", host, port)
    serve_http(load, host, port)


def run_socket_mode(settings: Settings, *, nudges: bool = True) -> None:
    identity = check_token(settings)
    check_app_token(settings)  # before anything starts: a refused token is one line
    _log_identity(identity)
    assert settings.slack_app_token is not None
    if not nudges:
        app = start_app_alone(settings, socket_mode=True)
        serve_socket_mode(app, settings.slack_app_token.get_secret_value())
        return
    app, scheduler = start_app(settings, socket_mode=True)
    serve_socket_mode(app, settings.slack_app_token.get_secret_value())
    stop_scheduler(scheduler)


def _log_identity(identity: dict[str, object]) -> None:
    logger.info("Slack workspace %s, bot user %s", identity.get("team"), identity.get("user_id"))
