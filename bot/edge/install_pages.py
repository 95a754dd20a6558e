"""Add to Slack beside Socket Mode: Slack's requests come over the WebSocket, but installing is a
person's browser visiting two pages (Bolt's OAuth flow), so those are served over HTTP beside
it: GET /slack/install, GET /slack/oauth_redirect, and GET /healthz. Nothing else is. In Socket
Mode the app checks no signature, so no Slack request may reach it this way."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.edge.operations import plain
from bot.edge.wsgi import HEALTH_PATH
from bot.slack.installing import REDIRECT_PATH
from bot.views.install_pages import INSTALL_PATH

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("progression_bot")


def install_pages_app(app: App) -> WSGIApplication:
    """The install pages of `app` (its OAuth flow) and a health check; 404 for the rest."""
    assert app.oauth_flow is not None  # multi-workspace mode
    pages = {INSTALL_PATH, REDIRECT_PATH}
    slack = SlackRequestHandler(app)

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if method == "GET" and path == HEALTH_PATH:
            return plain(start_response, "200 OK", b"ok\n")
        if method == "GET" and path in pages:
            return slack(environ, start_response)
        return plain(start_response, "404 Not Found", b"Not Found\n")

    return serve


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a visit in progress does not hold the app's exit up


class _Quiet(WSGIRequestHandler):
    """No access log: the redirect's query carries the installation's code and state."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_install_pages(app: App, host: str, port: int) -> WSGIServer:
    """Serve the pages on a thread of their own until `shutdown()`; an address that cannot be
    listened on raises OSError."""
    server = make_server(
        host, port, install_pages_app(app), server_class=_Server, handler_class=_Quiet
    )
    threading.Thread(target=server.serve_forever, name="install-pages", daemon=True).start()
    logger.info("Serving the install pages at http://%s:%d%s", host, port, INSTALL_PATH)
    return server
