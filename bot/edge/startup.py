"""Start-up for `progression-bot serve`: open the database, check Slack accepts the token,
then serve Slack's requests from web workers, with the runner (the background work) beside
them."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.app import create_app
from bot.background.process import EXIT_WITHIN, start_runner_thread, stop_within
from bot.edge.gunicorn import serve_http
from bot.edge.install_pages import serve_install_pages
from bot.edge.operations import Operations
from bot.edge.request_guard import AppClock, RequestGuard
from bot.edge.socket_mode_client import serve_socket_mode
from bot.edge.wsgi import wsgi_app
from bot.observe import metrics, multiprocess
from bot.settings import Settings, SettingsError
from bot.slack.checks import check_app_token, check_token
from scheduler.clock import utc_now
from store import Store

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer
    from wsgiref.types import WSGIApplication

logger = logging.getLogger("progression_bot")


def start_app(
    settings: Settings,
    store: Store,
    *,
    socket_mode: bool,
    behind_guard: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> App:
    """The Bolt app of one web worker (or Socket Mode connection): it only answers Slack."""
    progression = settings.load_progression()
    return create_app(
        settings,
        store,
        progression=progression,
        socket_mode=socket_mode,
        behind_guard=behind_guard,
        clock=clock,
    )


def guarded_wsgi_app(
    settings: Settings, store: Store, clock: Callable[[], datetime] = utc_now
) -> WSGIApplication:
    """A web worker's WSGI app: the request guard checks each signature, on the app's clock,
    and Bolt behind it does not check it again; /readyz, and /metrics unless they are off."""
    assert settings.slack_signing_secret is not None  # checked by load_settings for --http
    guard = RequestGuard(settings.slack_signing_secret.get_secret_value(), AppClock(clock))
    app = start_app(settings, store, socket_mode=False, behind_guard=True, clock=clock)
    operations = Operations.for_worker(settings, store, wall=lambda: clock().timestamp())
    return wsgi_app(app, guard, operations)


def run_http(
    settings: Settings,
    host: str,
    port: int,
    *,
    workers: int,
    with_runner: bool = True,
    with_scheduler: bool = True,
) -> None:
    # The database first, migrated once before any worker starts: offline, a mistake in it
    # is not hidden behind Slack's.
    store = Store(settings.progression_db)
    try:
        if not settings.multi_workspace:  # else each workspace's token comes with its install
            _log_identity(check_token(settings), store)
    finally:
        store.close()

    # Chosen before any worker or the runner starts, so that all of them count into it; this
    # master process itself counts nothing (it answers no request).
    directory = multiprocess.use_directory() if settings.metrics_enabled else None
    master = os.getpid()

    def load() -> WSGIApplication:
        # Built in gunicorn's worker process, after the fork: no connection or thread crosses it.
        # Migrated by this master before any worker started; a worker (re)started while the
        # database is away must still boot, or gunicorn stops the whole app.
        if directory is not None:
            metrics.enable()  # before the app's Slack clients are built: they count calls
        store = Store(settings.progression_db, migrated=True)
        return guarded_wsgi_app(settings, store)

    runner = RunnerProcess(settings, with_scheduler=with_scheduler) if with_runner else None
    logger.info(
        "Serving Slack requests at http://%s:%d/slack/events with %d worker(s)%s",
        host,
        port,
        workers,
        " and a runner" if runner else "",
    )
    try:
        serve_http(
            load,
            host,
            port,
            workers=workers,
            beside=runner,
            log_format=settings.progression_log_format,
            # A worker gone: its live gauges go with it (its counters stay in the sums).
            hooks={"child_exit": lambda server, worker: multiprocess.mark_dead(worker.pid)},
        )
    finally:
        # Workers are forks of this process and leave through this frame too: only the master
        # removes the directory, once every worker is gone.
        if directory is not None and os.getpid() == master:
            directory.remove_if_made_here()


def run_socket_mode(
    settings: Settings,
    *,
    with_runner: bool = True,
    with_scheduler: bool = True,
    pages_at: tuple[str, int] = ("0.0.0.0", 3000),
) -> None:
    """Serve Slack over the WebSocket; in multi-workspace mode, the install pages over HTTP at
    `pages_at` beside it (bot/edge/install_pages.py)."""
    # One store for the process, shared by the app and its runner; opened first, so that
    # offline a mistake in the database is not hidden behind Slack's.
    store = Store(settings.progression_db)
    try:
        # Multi-workspace mode has no token of its own: each workspace's comes with its install.
        identity = None if settings.multi_workspace else check_token(settings)
        check_app_token(settings)  # before anything starts: a refused token is one line
        if identity is not None:
            _log_identity(identity, store)
        app = start_app(settings, store, socket_mode=True)
        pages = _install_pages(app, *pages_at) if settings.multi_workspace else None
    except BaseException:
        store.close()
        raise
    runner = (
        start_runner_thread(settings, store, with_scheduler=with_scheduler) if with_runner else None
    )
    assert settings.slack_app_token is not None
    try:
        serve_socket_mode(app, settings.slack_app_token.get_secret_value())
    finally:
        if pages is not None:
            pages.shutdown()
            pages.server_close()
        if runner is not None:
            stop_within(runner[0], EXIT_WITHIN)
            runner[1].join(timeout=EXIT_WITHIN)


def _install_pages(app: App, host: str, port: int) -> WSGIServer:
    try:
        return serve_install_pages(app, host, port)
    except OSError as error:
        reason = error.strerror or str(error)
        raise SettingsError(
            f"--host {host} --port {port}: the install pages cannot be served there ({reason})"
        ) from None


class RunnerProcess:
    """`progression-bot runner` as a child of gunicorn's master, started once the master is
    ready, restarted if it dies, stopped (its lease given up) when the master exits. A process
    of its own, with the same settings (environment and `.env`), nothing inherited from the
    master's memory."""

    RESTART_AFTER = 5.0
    # The runner ends itself within EXIT_WITHIN of SIGTERM; this is the backstop, still inside
    # the 10 seconds `serve` takes to stop.
    STOP_WITHIN = EXIT_WITHIN + 1.0

    def __init__(self, settings: Settings, *, with_scheduler: bool = True) -> None:
        self.settings = settings
        self.with_scheduler = with_scheduler
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._told_at = 0.0  # monotonic: when the runner was told to stop

    def start(self) -> None:
        # Started here, in gunicorn's master before it forks its workers: a worker forked while
        # Popen is under way would inherit Popen's pipe and hold it up.
        self._process = self._spawn()
        threading.Thread(target=self._supervise, name="runner-supervisor", daemon=True).start()

    def stopping(self) -> None:
        """Tell the runner to stop (SIGTERM), without waiting: it stops while the web workers
        finish their requests."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._told_at = time.monotonic()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()  # it stops claiming, awaits its posts in flight, gives up the lease

    def stop(self) -> None:
        """Stop the runner and wait for it to exit (killed past `STOP_WITHIN`)."""
        self.stopping()
        process = self._process
        if process is None:
            return
        try:
            process.wait(max(0.0, self._told_at + self.STOP_WITHIN - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("The runner did not stop in time: killed")
            process.kill()
            process.wait()
        multiprocess.mark_dead(process.pid)

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "bot.cli", "runner", "--parent-pid", str(os.getpid())]
        if not self.with_scheduler:
            command.append("--no-scheduler")
        return subprocess.Popen(command)

    def _supervise(self) -> None:
        # Polled, not waited for: gunicorn's master reaps every child that exits, ours too, and
        # a poll then finds it gone (its exit status taken, so reported as 0).
        while not self._stopping.wait(1.0):
            process = self._process
            if process is None or process.poll() is None:
                continue
            logger.error("The runner exited (%s): starting it again", process.returncode)
            multiprocess.mark_dead(process.pid)
            if self._stopping.wait(self.RESTART_AFTER):
                return
            self._process = self._spawn()


def _log_identity(identity: dict[str, object], store: Store) -> None:
    """Say who the token is; a workspace that had removed the app and whose token works again
    installed it again: it picks up where it left off."""
    logger.info("Slack workspace %s, bot user %s", identity.get("team"), identity.get("user_id"))
    team_id = str(identity.get("team_id") or "")
    if team_id and store.welcome_back(team_id, utc_now()):
        logger.info("%s installed the app again: its subscriptions and history are kept", team_id)
