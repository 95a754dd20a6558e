"""The page GET /metrics answers: every process's counts (the multiprocess directory, or this
process's own registry), and what the database says at the moment of the scrape: the outbox's
depth and its oldest item's age, whether a runner holds a live lease, whether the database
answers. Those are read here rather than counted, so any worker tells the same truth."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, get_args

from bot.observe import metrics, multiprocess
from scheduler.runner import RUNNER_LEASE
from store import Store
from store.busy import unavailable_reason
from store.outbox import Kind

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

logger = logging.getLogger("progression_bot")


class DatabaseCollector:
    """A prometheus_client collector that asks the database at each scrape."""

    def __init__(self, store: Store, wall: Callable[[], float] = time.time) -> None:
        self.store = store
        self.wall = wall

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily(metrics.DATABASE_UP, "1 when the database answered this scrape.")
        now = self.wall()
        try:
            depths = self.store.outbox_depths()
            holder = self.store.lease_holder(RUNNER_LEASE, now)
        except Exception as error:
            logger.warning(
                "Metrics without the database: %s", unavailable_reason(error) or repr(error)
            )
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            metrics.OUTBOX_DEPTH,
            "Work waiting in the outbox for the runner, by kind.",
            labels=["kind"],
        )
        oldest = GaugeMetricFamily(
            metrics.OUTBOX_OLDEST,
            "Seconds since the oldest work waiting in the outbox was asked for, by kind.",
            labels=["kind"],
        )
        for kind in get_args(Kind):  # each kind shown, at 0 when empty
            found = next((d for d in depths if d.kind == kind), None)
            depth.add_metric([kind], found.depth if found else 0)
            oldest.add_metric([kind], max(0.0, now - found.oldest_created_at) if found else 0.0)
        yield depth
        yield oldest
        live = GaugeMetricFamily(
            metrics.RUNNER_LEASE_LIVE,
            "1 while some runner, on any host, holds a live runner lease.",
        )
        live.add_metric([], 1 if holder is not None else 0)
        yield live


def _settled_files(path: str) -> list[str]:
    """The multiprocess files a scrape may read: not those a process has only just created,
    still empty (prometheus_client reads an empty file as an error, and a worker that gunicorn
    has just started creates its files while a scrape may be reading the folder)."""
    import glob
    import os

    settled = []
    for name in glob.glob(os.path.join(path, "*.db")):
        try:
            if os.path.getsize(name) >= 8:
                settled.append(name)
        except FileNotFoundError:
            pass  # a dead process's live gauge, removed meanwhile
    return settled


def _multiprocess_collector(registry: CollectorRegistry) -> None:
    from prometheus_client.multiprocess import MultiProcessCollector

    class SettledCollector(MultiProcessCollector):
        def collect(self) -> Iterator[Metric]:
            return iter(self.merge(_settled_files(self._path), accumulate=True))

    SettledCollector(registry)


class MetricsPage:
    """What a worker's /metrics answers: the multiprocess directory's sums when `serve --http`
    chose one (else this process's own metrics), then the database's."""

    def __init__(self, store: Store, wall: Callable[[], float] = time.time) -> None:
        from prometheus_client import REGISTRY, CollectorRegistry

        self._counted: CollectorRegistry = REGISTRY
        if multiprocess.in_use():
            self._counted = CollectorRegistry(auto_describe=False)
            _multiprocess_collector(self._counted)
        self._database = CollectorRegistry(auto_describe=False)
        self._database.register(DatabaseCollector(store, wall))

    def render(self) -> tuple[bytes, str]:
        """The page (Prometheus' text format) and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        page = generate_latest(self._counted) + generate_latest(self._database)
        return page, CONTENT_TYPE_LATEST
