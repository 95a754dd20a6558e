"""The WSGI app of a web worker: Slack's requests at POST /slack/events, behind the request
guard, and a health check at GET /healthz."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import checks_signatures
from bot.edge.request_guard import Refused, RequestGuard

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("progression_bot")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def wsgi_app(app: App, guard: RequestGuard | None = None) -> WSGIApplication:
    """Slack requests at POST /slack/events, a health check at GET /healthz.

    With `guard`, a request reaches Bolt only once it is within the size limit, signed and
    shaped as Slack sends it (bot/edge/request_guard.py). Without one, Bolt must check the
    signatures itself: an app that leaves them to the guard is refused here."""
    if guard is None and not checks_signatures(app):
        raise ValueError("this app leaves Slack's signatures to the request guard: give it one")
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
