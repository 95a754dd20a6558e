"""`progression-bot runner --metrics-port PORT`: a runner started on its own (a deployment
that splits the web tier from the runner) has no web worker to answer /metrics for it, and no
multiprocess directory to share with one on another host; it serves its own metrics on a port
of its own, with the same access rule as the web workers' /metrics."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.observe.access import ALLOWED, UNAUTHORIZED, MetricsAccess
from bot.observe.scrape import MetricsPage

if TYPE_CHECKING:
    from collections.abc import Iterable
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("progression_bot.runner")


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # a scrape is not news
        pass


def metrics_app(page: MetricsPage, access: MetricsAccess) -> WSGIApplication:
    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") != "GET":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found\n"]
        decision = access.decide(environ)
        if decision != ALLOWED:
            status = "401 Unauthorized" if decision == UNAUTHORIZED else "403 Forbidden"
            start_response(status, [("Content-Type", "text/plain")])
            return [status.encode() + b"\n"]
        body, content_type = page.render()
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]

    return serve


def serve_metrics(page: MetricsPage, access: MetricsAccess, host: str, port: int) -> WSGIServer:
    """Serve on a daemon thread; `shutdown()` the server returned to stop."""
    server = make_server(host, port, metrics_app(page, access), handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("Runner metrics at http://%s:%d/metrics", host, port)
    return server
