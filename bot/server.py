"""Serving the app: HTTP on gunicorn, or Socket Mode over Slack's WebSocket."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("progression_bot")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def wsgi_app(app: App) -> WSGIApplication:
    """Slack requests at POST /slack/events, a health check at GET /healthz."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return serve


class _Gunicorn(BaseApplication):
    """gunicorn embedded: one worker process (the scheduler must run once), many threads."""

    def __init__(self, load_wsgi: Callable[[], WSGIApplication], options: dict[str, Any]):
        self._load_wsgi = load_wsgi
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        return self._load_wsgi()


def serve_http(
    load_wsgi: Callable[[], WSGIApplication], host: str, port: int, threads: int = 16
) -> None:
    """Serve until SIGTERM, which lets in-flight requests finish before the process exits."""
    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": 20,
        "timeout": 60,
        "keepalive": 75,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "progression-bot",
    }
    _Gunicorn(load_wsgi, options).run()


def connect_socket_mode(app: App, app_token: str) -> SocketModeHandler:
    """Connect through apps.connections.open; the handler serves until closed."""
    handler = SocketModeHandler(app, app_token=app_token, web_client=app.client)
    handler.connect()
    return handler


def serve_socket_mode(app: App, app_token: str) -> None:
    """Connect through apps.connections.open and serve until SIGTERM or SIGINT."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    handler = connect_socket_mode(app, app_token)
    logger.info("Connected to Slack in Socket Mode")
    stop.wait()
    handler.close()
    logger.info("Socket Mode connection closed")
