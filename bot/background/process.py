"""The runner as a process: `progression-bot runner`, or a thread of Socket Mode's `serve`;
stopped by a signal, or by its parent's end, always within `EXIT_WITHIN` seconds."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from bot.background.duties import build_runner
from bot.observe import metrics, multiprocess
from bot.observe.access import MetricsAccess
from bot.observe.lease_gauge import LeaseGauge
from bot.observe.metrics_port import serve_metrics
from bot.observe.scrape import MetricsPage
from bot.settings import Settings
from scheduler.clock import utc_now
from scheduler.runner import Runner
from store import Store

logger = logging.getLogger("progression_bot.runner")

# A stopping runner process exits by then whatever still waits (a database that does not
# answer, a Slack that does not), so `serve` stops within 10 s of SIGTERM.
EXIT_WITHIN = 8.0


def run_runner(
    settings: Settings,
    parent_pid: int | None = None,
    *,
    with_scheduler: bool = True,
    metrics_at: tuple[str, int] | None = None,
) -> None:
    """Run until SIGTERM or SIGINT (or, started by `serve`, until that process is gone); the
    process ends within `EXIT_WITHIN` seconds of either.

    Started by `serve --http`, it counts into the web workers' metrics directory, so their
    /metrics shows its fan-outs, Slack calls and lease too; started alone, with `metrics_at`
    (host, port), it answers /metrics there itself."""
    own_port = metrics_at is not None and not multiprocess.in_use()
    counting = settings.metrics_enabled and (multiprocess.in_use() or own_port)
    if counting:
        metrics.enable()  # before its Slack clients are built: they count calls
    runner = build_runner(settings, with_scheduler=with_scheduler)
    if counting:
        LeaseGauge(runner.holds_lease).start()
    if counting and own_port and metrics_at is not None:
        host, port = metrics_at
        page = MetricsPage(runner.store)
        serve_metrics(page, MetricsAccess.from_settings(settings), host, port)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_within(runner, EXIT_WITHIN)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if parent_pid is not None:
        threading.Thread(target=_stop_when_orphaned, args=(runner, parent_pid), daemon=True).start()
    runner.run()


def start_runner_thread(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], datetime] = utc_now,
    with_scheduler: bool = True,
) -> tuple[Runner, threading.Thread]:
    """A runner inside this process (Socket Mode's `serve`), on the process's one store:
    stop it with `stop_within(runner, seconds)`."""
    runner = build_runner(settings, store=store, clock=clock, with_scheduler=with_scheduler)
    thread = threading.Thread(target=runner.run, name="runner", daemon=True)
    thread.start()
    return runner, thread


def stop_within(runner: Runner, seconds: float) -> None:
    """Stop the runner, and end the process `seconds` from now if it has not ended by then.

    The runner itself stops within moments; what may still hold the process is outside it: a
    post awaiting Slack's answer (settled as unconfirmed by the next run), a database that does
    not answer the lease's release (the lease lapses). A stop is never a wait without end."""
    first = not runner.stopping
    runner.stop()
    if first:
        threading.Thread(
            target=_exit_after, args=(seconds,), name="exit-deadline", daemon=True
        ).start()


def _exit_after(seconds: float) -> None:
    time.sleep(seconds)
    logger.warning("Still stopping after %.0f s: exiting now", seconds)
    logging.shutdown()
    os._exit(0)


def _stop_when_orphaned(runner: Runner, parent_pid: int) -> None:
    # `serve` killed outright cannot stop its runner: the runner notices it was left alone.
    stopped = threading.Event()
    while not stopped.wait(1.0):
        if os.getppid() != parent_pid:
            logger.warning("The serving process is gone: stopping the runner")
            stop_within(runner, EXIT_WITHIN)
            return
