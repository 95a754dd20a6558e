"""Serving the app: HTTP on gunicorn, or Socket Mode over Slack's WebSocket."""

from __future__ import annotations

import io
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.request_guard import Refused, RequestGuard

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("progression_bot")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def wsgi_app(app: App, guard: RequestGuard | None = None) -> WSGIApplication:
    """Slack requests at POST /slack/events, a health check at GET /healthz.

    With `guard`, a request reaches Bolt only once it is within the size limit, signed and
    shaped as Slack sends it (bot/request_guard.py)."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            return _plain(start_response, "200 OK", b"ok\n")
        if guard is None or path != EVENTS_PATH or method != "POST":
            return slack(environ, start_response)
        try:
            admitted = guard.admit(environ)
        except Refused as refused:
            logger.info("Refused a request to %s: %d, %s", path, refused.status, refused.reason)
            status = f"{refused.status} {HTTPStatus(refused.status).phrase}"
            # Close rather than keep alive: gunicorn would otherwise read the unread body
            # to find the next request.
            phrase = HTTPStatus(refused.status).phrase.encode()
            return _plain(start_response, status, phrase, close=True)
        # Bolt reads the body again from the stream, and parses it as the guard did.
        environ["wsgi.input"] = io.BytesIO(admitted.body)
        environ["CONTENT_LENGTH"] = str(len(admitted.body))
        environ["CONTENT_TYPE"] = admitted.content_type
        try:
            return slack(environ, start_response)
        except Exception:
            # Bolt parses the body and builds its context before any listener or error
            # handler: a signed body the guard let through and Bolt cannot read is still not
            # a body Slack sends. Logged once with its traceback; the body is not.
            logger.exception("Bolt could not take a signed request to %s", path)
            return _plain(start_response, "400 Bad Request", b"Bad Request")

    return serve


def _plain(
    start_response: StartResponse, status: str, body: bytes, close: bool = False
) -> list[bytes]:
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    if close:
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [body]


class Beside(Protocol):
    """A process gunicorn's master starts once its workers listen, tells to stop the moment
    the master is told to (`stopping`), and waits for as it exits (`stop`)."""

    def start(self) -> None: ...

    def stopping(self) -> None: ...

    def stop(self) -> None: ...


class _Gunicorn(BaseApplication):
    """gunicorn embedded: web workers that only answer Slack (the runner is elsewhere)."""

    def __init__(self, load_wsgi: Callable[[], WSGIApplication], options: dict[str, Any]):
        self._load_wsgi = load_wsgi
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # a setting older gunicorns lack is theirs to skip
                self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        return self._load_wsgi()


def serve_http(
    load_wsgi: Callable[[], WSGIApplication],
    host: str,
    port: int,
    *,
    workers: int = 1,
    threads: int = 16,
    worker_class: str = "gthread",
    beside: Beside | None = None,
) -> None:
    """Serve until SIGTERM, which lets in-flight requests finish before the process exits."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads,
        # Requests are answered within Slack's 3 seconds: a worker still busy past this is
        # stuck, and `serve` stops within 10 seconds of SIGTERM.
        "graceful_timeout": 8,
        "timeout": 60,
        "keepalive": 75,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "progression-bot",
        # gunicorn's control socket (gunicornc) is not used: off, so that a service user
        # without a home directory gets no "Control server error", and two instances on
        # one host do not fight over $XDG_RUNTIME_DIR/gunicorn.ctl.
        "control_socket_disable": True,
    }
    if beside is not None:
        options["when_ready"] = lambda arbiter: _start_beside(arbiter, beside)
        options["on_exit"] = lambda arbiter: beside.stop()
    _Gunicorn(load_wsgi, options).run()


def _start_beside(arbiter: Any, beside: Beside) -> None:
    beside.start()
    # gunicorn has no hook for its master's stop signals, and `on_exit` comes only once the
    # workers are gone: the master's handlers (looked up by name at each signal) tell the
    # process beside first, so it stops while the workers finish, not after them.
    for name in ("handle_term", "handle_int", "handle_quit"):
        handler = getattr(arbiter, name)

        def tell_first(handler: Callable[[], None] = handler) -> None:
            beside.stopping()
            handler()

        setattr(arbiter, name, tell_first)


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
