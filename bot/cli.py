"""`progression-bot`: serve the app, and the progression in the terminal."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from slack_bolt.error import BoltError

from bot.cli_errors import CliError
from bot.export import add_export_parser
from bot.nudge_cli import add_nudge_parser
from bot.settings import Settings, SettingsError, load_settings
from progression.importer import DocumentError, import_files
from progression.load import ProgressionFileError, dump_progression, load_progression
from progression.model import Progression

logger = logging.getLogger("progression_bot")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
        return int(args.run(args, settings) or 0)
    except (SettingsError, ProgressionFileError, DocumentError, CliError) as error:
        print(f"progression-bot: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="progression-bot", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the Slack app (Socket Mode, or --http)")
    serve.add_argument("--http", action="store_true", help="serve Slack's HTTP requests")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        help="web worker processes with --http (default: the machine's cores, %(default)s)",
    )
    serve.add_argument(
        "--no-runner",
        dest="runner",
        action="store_false",
        help="answer Slack only; `progression-bot runner` runs elsewhere",
    )
    serve.set_defaults(run=_serve)

    runner = commands.add_parser(
        "runner",
        help="run only the background work (nudges, live counts), under the runner lease",
    )
    # `serve` starts its runner with its own pid: the runner stops if `serve` is gone.
    runner.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    runner.set_defaults(run=_runner)

    show = commands.add_parser("show", help="print a phase (3), an action (3.8) or a role")
    show.add_argument("what", nargs="+", help="3, 3.8, phase 3 teacher, teacher")
    show.set_defaults(run=_show)

    search = commands.add_parser("search", help="search the progression")
    search.add_argument("words", nargs="+")
    search.set_defaults(run=_search)

    add_nudge_parser(commands)
    add_export_parser(commands)

    importer = commands.add_parser("import", help="turn progression documents into a data file")
    importer.add_argument("files", nargs="+", type=Path, help="later files replace phases")
    importer.add_argument("--out", type=Path, required=True, help="the data file to write")
    importer.set_defaults(run=_import)
    return parser


def _progression(settings: Settings) -> Progression:
    return load_progression(settings.progression_file)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot import serving  # Slack's clients are only needed to serve

    socket_mode = not args.http
    settings.require_slack(socket_mode=socket_mode)
    _progression(settings)  # a broken data file stops start-up here, with its message
    try:
        if socket_mode:
            serving.run_socket_mode(settings, with_runner=args.runner)
        else:
            serving.run_http(
                settings, args.host, args.port, workers=args.workers, with_runner=args.runner
            )
    except BoltError as error:
        raise CliError(f"Slack refused to start the app: {error}") from None
    return 0


def _runner(args: argparse.Namespace, settings: Settings) -> int:
    from bot import runner, serving

    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise SettingsError(
            "SLACK_BOT_TOKEN is not set: see README.md, section 'Create the Slack app'"
        )
    _progression(settings)
    serving.check_token(settings)
    runner.run_runner(settings, parent_pid=args.parent_pid)
    return 0


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from bot import terminal

    print(terminal.show(" ".join(args.what), _progression(settings)))
    return 0


def _search(args: argparse.Namespace, settings: Settings) -> int:
    from bot import terminal

    print(terminal.search(" ".join(args.words), _progression(settings)))
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    progression = import_files(args.files)
    dump_progression(progression, args.out)
    actions = sum(len(p.actions) for p in progression.phases)
    print(f"Wrote {args.out}: {len(progression.phases)} phases, {actions} actions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
