"""`progression-bot`: serve the app, and the progression in the terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path

from slack_bolt.error import BoltError

from bot.backup import add_backup_parser
from bot.cli_errors import CliError
from bot.copy_db import add_copy_db_parser
from bot.export import add_export_parser
from bot.log_lines import configure_logging
from bot.outputs import check_out_file, stdout_reported, write_failed
from bot.settings import Settings, SettingsError, load_settings
from progression.importer import DocumentError, import_files
from progression.load import ProgressionFileError, dump_progression, load_progression
from progression.model import Progression
from scheduler.nudge_cli import add_nudge_parser
from store import DatabasePathError, StoreError, check_database_path

logger = logging.getLogger("progression_bot")
# Entry points in this group add subcommands: see [project.entry-points] in pyproject.toml.
PLUGIN_GROUP = "progression_bot.commands"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging()
    try:
        settings = load_settings()
        with stdout_reported():
            return int(args.run(args, settings) or 0)
    except (
        SettingsError,
        ProgressionFileError,
        DocumentError,
        DatabasePathError,
        StoreError,
        CliError,
    ) as error:
        print(f"progression-bot: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="progression-bot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the Slack app (Socket Mode, or --http)",
        description="Run the Slack app and its weekly nudges: in Socket Mode over Slack's "
        "WebSocket (SLACK_APP_TOKEN, no public URL needed), or with --http on gunicorn.",
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
        help="with --http: the TCP port to listen on (default: %(default)s)",
    )
    serve.add_argument(
        "--host",
        default="0.0.0.0",
        help="with --http: the address to listen on; 0.0.0.0 is every interface, 127.0.0.1 "
        "only this machine, behind a reverse proxy (default: %(default)s)",
    )
    serve.add_argument(
        "--no-scheduler",
        dest="nudges",
        action="store_false",
        help="do not run the weekly nudges here (cron runs `progression-bot nudge` instead)",
    )
    serve.set_defaults(run=_serve)

    show = commands.add_parser("show", help="print a phase (3), an action (3.8) or a role")
    show.add_argument("what", nargs="*", help="3, 3.8, phase 3 teacher, teacher, help")
    show.set_defaults(run=_show)

    search = commands.add_parser("search", help="search the progression")
    search.add_argument("words", nargs="+")
    search.set_defaults(run=_search)

    add_nudge_parser(commands)
    add_export_parser(commands)
    add_copy_db_parser(commands)
    add_backup_parser(commands)
    _add_plugin_commands(commands)

    importer = commands.add_parser("import", help="turn progression documents into a data file")
    importer.add_argument("files", nargs="+", type=Path, help="later files replace phases")
    importer.add_argument("--out", type=Path, required=True, help="the data file to write")
    importer.set_defaults(run=_import)
    return parser


def _add_plugin_commands(commands: argparse._SubParsersAction) -> None:
    """Commands installed beside the app (`progression-bot try`, the local workspace), which
    bot/ must not import: each entry point adds its parser, whose `run` takes (args, settings)."""
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            add_parser = entry.load()
        except ImportError as error:
            logger.warning("Command %s is not available: %s", entry.name, error)
            continue
        add_parser(commands)


def _version() -> str:
    try:
        return version("progression-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _progression(settings: Settings) -> Progression:
    return load_progression(settings.progression_file)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot import serving  # Slack's clients are only needed to serve

    socket_mode = not args.http
    settings.require_slack(socket_mode=socket_mode)
    _progression(settings)  # a broken data file stops start-up here, with its message
    # Before gunicorn starts its worker: a wrong path is one line, not a worker's traceback.
    check_database_path(str(settings.progression_db), create=True)
    try:
        if socket_mode:
            serving.run_socket_mode(settings, nudges=args.nudges)
        else:
            serving.run_http(settings, args.host, args.port, nudges=args.nudges)
    except BoltError as error:
        raise CliError(f"Slack refused to start the app: {error}") from None
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from bot import terminal

    print(terminal.show(" ".join(args.what), _progression(settings)))
    return 0


def _search(args: argparse.Namespace, settings: Settings) -> int:
    from bot import terminal

    print(terminal.search(" ".join(args.words), _progression(settings)))
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    check_out_file(args.out, replaces=True)
    progression = import_files(args.files)
    try:
        dump_progression(progression, args.out)
    except OSError as error:
        raise write_failed(args.out, error) from None
    actions = sum(len(p.actions) for p in progression.phases)
    print(f"Wrote {args.out}: {len(progression.phases)} phases, {actions} actions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
