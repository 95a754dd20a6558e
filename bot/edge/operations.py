"""What a web worker answers operators, beside Slack: GET /readyz (the database and a live
runner lease) and GET /metrics (Prometheus, to loopback, allowed networks and the bearer
token); and what it notes of each Slack request it answers: its kind, its answer's class and
the time to ack (the metrics), and for event deliveries Slack's delivery health."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.observe import metrics
from bot.observe.access import ALLOWED, MetricsAccess
from bot.observe.delivery_health import DeliveryHealth, Notice
from bot.observe.readiness import readiness
from bot.observe.scrape import MetricsPage
from bot.settings import Settings
from store import Store
from store.busy import unavailable_reason

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger("progression_bot")


@dataclass
class Operations:
    """Built once per web worker, with its store."""

    store: Store
    lease_seconds: float
    health: DeliveryHealth
    access: MetricsAccess | None = None  # None: PROGRESSION_METRICS=off, no /metrics
    page: MetricsPage | None = None
    wall: Callable[[], float] = time.time

    @classmethod
    def for_worker(
        cls, settings: Settings, store: Store, wall: Callable[[], float] = time.time
    ) -> Operations:
        def ask_runner(workspace: str, notice: Notice, now: float) -> bool:
            try:
                store.request_work("notice", workspace, notice.subject, now)
            except Exception as error:
                reason = unavailable_reason(error)
                if reason is None:
                    raise
                logger.warning("Could not ask the runner to tell the managers: %s", reason)
                return False
            return True

        on = settings.metrics_enabled
        return cls(
            store=store,
            lease_seconds=settings.progression_runner_lease,
            health=DeliveryHealth(ask_runner, clock=wall),
            access=MetricsAccess.from_settings(settings) if on else None,
            page=MetricsPage(store, wall) if on else None,
            wall=wall,
        )

    def ready(self, start_response: StartResponse) -> list[bytes]:
        state = readiness(self.store, self.wall(), self.lease_seconds)
        status = "200 OK" if state.ready else "503 Service Unavailable"
        return plain(start_response, status, (state.line + "\n").encode())

    def metrics(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        if self.access is None or self.page is None:
            return plain(
                start_response, "404 Not Found", b"metrics are off (PROGRESSION_METRICS)\n"
            )
        decision = self.access.decide(environ)
        if decision != ALLOWED:
            if decision == 401:
                return plain(
                    start_response,
                    "401 Unauthorized",
                    b"Unauthorized\n",
                    [("WWW-Authenticate", 'Bearer realm="metrics"')],
                )
            return plain(start_response, "403 Forbidden", b"Forbidden\n")
        body, content_type = self.page.render()
        return plain(start_response, "200 OK", body, content_type=content_type)

    def answered(self, kind: str, status: int, seconds: float, workspace: str | None) -> None:
        """A Slack request answered with `status`, `seconds` after it arrived."""
        metrics.count_request(kind, status, seconds)
        if kind == "event":
            self.health.record(status, seconds, workspace)


def plain(
    start_response: StartResponse,
    status: str,
    body: bytes,
    extra: list[tuple[str, str]] | None = None,
    *,
    close: bool = False,
    content_type: str = "text/plain",
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers += extra or []
    if close:
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [body]
