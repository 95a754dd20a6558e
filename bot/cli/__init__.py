"""`progression-bot`: serve the app, and the progression in the terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version

from bot.cli import backup, copy_db, export, forget, progression, serve, weekly
from bot.cli.errors import CliError
from bot.cli.log_lines import configure_logging
from bot.cli.outputs import stdout_reported
from bot.cli.registry import Commands, Register
from bot.settings import SettingsError, load_settings
from progression.importer import DocumentError
from progression.load import ProgressionFileError
from store import DatabasePathError, StoreError

logger = logging.getLogger("progression_bot")
# Entry points in this group add subcommands: see [project.entry-points] in pyproject.toml.
PLUGIN_GROUP = "progression_bot.commands"
# The app's own commands, in the order `--help` lists them.
COMMANDS: tuple[Register, ...] = (
    serve.register,
    progression.register,
    weekly.register,
    export.register,
    forget.register,
    copy_db.register,
    backup.register,
)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="progression-bot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = Commands(parser)
    for register in COMMANDS:
        register(commands)
    _register_plugins(commands)
    return parser


def _register_plugins(commands: Commands) -> None:
    """Commands installed beside the app (`progression-bot try`, the local workspace), which
    bot/ must not import: each entry point is a `register(commands)`."""
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            register: Register = entry.load()
        except ImportError as error:
            logger.warning("Command %s is not available: %s", entry.name, error)
            continue
        register(commands)


def _version() -> str:
    try:
        return version("progression-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"
