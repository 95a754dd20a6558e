"""`progression-bot serve` (the app, with a runner beside it) and `progression-bot runner` (the
background work alone)."""

from __future__ import annotations

import argparse
import os

from slack_bolt.error import BoltError

from bot.cli.errors import CliError
from bot.cli.registry import Commands
from bot.settings import Settings, SettingsError
from store import BACKGROUND_WRITE_WAIT_SECONDS, Store, check_database_path


def register(commands: Commands) -> None:
    serve = commands.add(
        "serve",
        run_serve,
        help="run the Slack app (Socket Mode, or --http)",
        description="Run the Slack app, with a runner beside it for the weekly nudges and the "
        "live counts: in Socket Mode over Slack's WebSocket (SLACK_APP_TOKEN, no public URL "
        "needed), or with --http on gunicorn's web workers.",
    )
    serve.add_argument(
        "--http",
        action="store_true",
        help="serve Slack's HTTP requests at POST /slack/events (GET /healthz for checks) "
        "instead of Socket Mode; needs SLACK_SIGNING_SECRET",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=3000,
        help="with --http, or for the install pages in Socket Mode with SLACK_CLIENT_ID: the "
        "TCP port to listen on (default: %(default)s)",
    )
    serve.add_argument(
        "--host",
        default="0.0.0.0",
        help="with --port: the address to listen on; 0.0.0.0 is every interface, 127.0.0.1 "
        "only this machine, behind a reverse proxy (default: %(default)s)",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        help="with --http: web worker processes (default: the machine's cores, %(default)s)",
    )
    serve.add_argument(
        "--no-runner",
        dest="runner",
        action="store_false",
        help="answer Slack only; `progression-bot runner` does the background work elsewhere",
    )
    serve.add_argument(
        "--no-scheduler",
        dest="scheduler",
        action="store_false",
        help="the runner beside it still keeps the live counts and looks up bot users, but arms "
        "no weekly nudges: `progression-bot nudge` posts them (cron)",
    )

    runner = commands.add(
        "runner",
        run_runner,
        help="run only the background work (nudges, live counts), under the runner lease",
        description="The weekly nudges (unless --no-scheduler), the live counts and the "
        "bot-user look-ups, for deployments that run them apart from `serve --no-runner`. "
        "Start as many as you like, on any hosts sharing the database: one holds the lease and "
        "works, the others stand by.",
    )
    runner.add_argument(
        "--no-scheduler",
        dest="scheduler",
        action="store_false",
        help="keep the live counts and look up bot users, but arm no weekly nudges: "
        "`progression-bot nudge` posts them (cron)",
    )
    runner.add_argument(
        "--metrics-port",
        type=int,
        help="serve this runner's Prometheus metrics at GET /metrics on this port (loopback, "
        "PROGRESSION_METRICS_ALLOW, PROGRESSION_METRICS_TOKEN); a runner beside `serve --http` "
        "needs none: the web workers' /metrics has its counts",
    )
    runner.add_argument(
        "--metrics-host",
        default="0.0.0.0",
        help="with --metrics-port: the address to listen on (default: %(default)s)",
    )
    # `serve` starts its runner with its own pid: the runner stops if `serve` is gone.
    runner.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.edge import startup  # Slack's clients are only needed to serve

    socket_mode = not args.http
    settings.require_slack(socket_mode=socket_mode)
    settings.load_progression()  # a broken data file stops start-up here
    # Before gunicorn starts its worker: a wrong path is one line, not a worker's traceback.
    check_database_path(str(settings.progression_db), create=True)
    try:
        if socket_mode:
            startup.run_socket_mode(
                settings,
                with_runner=args.runner,
                with_scheduler=args.scheduler,
                pages_at=(args.host, args.port),
            )
        else:
            startup.run_http(
                settings,
                args.host,
                args.port,
                workers=args.workers,
                with_runner=args.runner,
                with_scheduler=args.scheduler,
            )
    except BoltError as error:
        raise CliError(f"Slack refused to start the app: {error}") from None
    return 0


def run_runner(args: argparse.Namespace, settings: Settings) -> int:
    from bot.background import process
    from bot.slack.checks import check_token

    no_token = settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value()
    if no_token and not settings.multi_workspace:  # else each workspace's is in the store
        raise SettingsError(
            "SLACK_BOT_TOKEN is not set: see README.md, section 'Create the Slack app'"
        )
    settings.load_progression()
    check_database_path(str(settings.progression_db), create=True)
    if args.parent_pid is None:  # started by `serve`, which checked both already
        # The database before Slack: offline, a mistake in it is not hidden behind Slack's.
        Store(settings.progression_db, write_wait=BACKGROUND_WRITE_WAIT_SECONDS).close()
        if not settings.multi_workspace:
            check_token(settings)
    metrics_at = (args.metrics_host, args.metrics_port) if args.metrics_port else None
    process.run_runner(
        settings,
        parent_pid=args.parent_pid,
        with_scheduler=args.scheduler,
        metrics_at=metrics_at,
    )
    return 0


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)
