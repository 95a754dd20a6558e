"""The WSGI app of a web worker: Slack's requests at POST /slack/events, behind the request
guard, a liveness check at GET /healthz, and with `Operations` the readiness check at
GET /readyz and Prometheus' GET /metrics (bot/edge/operations.py)."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import checks_signatures
from bot.edge.operations import Operations, plain
from bot.edge.request_guard import Admitted, Refused, RequestGuard
from bot.observe.request_context import answering

if TYPE_CHECKING:
    from types import TracebackType
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("progression_bot")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
# Slack's notice that it drops a workspace's events: answered here, Bolt has no listener for it.
APP_RATE_LIMITED = "app_rate_limited"


def wsgi_app(
    app: App, guard: RequestGuard | None = None, operations: Operations | None = None
) -> WSGIApplication:
    """Slack requests at POST /slack/events, a health check at GET /healthz.

    With `guard`, a request reaches Bolt only once it is within the size limit, signed and
    shaped as Slack sends it (bot/edge/request_guard.py). Without one, Bolt must check the
    signatures itself: an app that leaves them to the guard is refused here. With
    `operations`, GET /readyz and GET /metrics, and each Slack request is counted."""
    if guard is None and not checks_signatures(app):
        raise ValueError("this app leaves Slack's signatures to the request guard: give it one")
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            return plain(start_response, "200 OK", b"ok\n")
        if operations is not None and method == "GET":
            if path == READY_PATH:
                return operations.ready(start_response)
            if path == METRICS_PATH:
                return operations.metrics(environ, start_response)
        if guard is None or path != EVENTS_PATH or method != "POST":
            return slack(environ, start_response)
        arrived = time.perf_counter()
        try:
            admitted = guard.admit(environ)
        except Refused as refused:
            logger.info("Refused a request to %s: %d, %s", path, refused.status, refused.reason)
            status = f"{refused.status} {HTTPStatus(refused.status).phrase}"
            # Close rather than keep alive: gunicorn would otherwise read the unread body
            # to find the next request.
            phrase = HTTPStatus(refused.status).phrase.encode()
            if operations is not None:
                operations.answered("refused", refused.status, time.perf_counter() - arrived, None)
            return plain(start_response, status, phrase, close=True)
        if operations is None:
            return _to_bolt(slack, environ, start_response, admitted, path)
        if admitted.payload_type == APP_RATE_LIMITED:
            operations.health.app_rate_limited(admitted.workspace)
            operations.answered(admitted.kind, 200, time.perf_counter() - arrived, None)
            return plain(start_response, "200 OK", b"")
        answer = _Answer(start_response)
        with answering(admitted.kind, admitted.workspace):
            body = _to_bolt(slack, environ, answer, admitted, path)
        seconds = time.perf_counter() - arrived
        operations.answered(admitted.kind, answer.status, seconds, admitted.workspace)
        return body

    return serve


class _Answer:
    """A start_response that notes the status it was given."""

    def __init__(self, start_response: StartResponse) -> None:
        self._start_response = start_response
        self.status = 500

    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: tuple[type[BaseException], BaseException, TracebackType]
        | tuple[None, None, None]
        | None = None,
        /,
    ) -> Callable[[bytes], object]:
        code = status.split(" ", 1)[0]
        self.status = int(code) if code.isdigit() else 500
        if exc_info is None:  # as it was called: some callers take two arguments only
            return self._start_response(status, headers)
        return self._start_response(status, headers, exc_info)


def _to_bolt(
    slack: SlackRequestHandler,
    environ: WSGIEnvironment,
    start_response: StartResponse,
    admitted: Admitted,
    path: str,
) -> Iterable[bytes]:
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
        return plain(start_response, "400 Bad Request", b"Bad Request")
