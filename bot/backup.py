"""`progression-bot backup FILE`: a consistent copy of the live database, safe while serving."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.cli_errors import CliError
from bot.settings import Settings
from store import Store


def add_backup_parser(commands: Any) -> argparse.ArgumentParser:
    """Add `backup` to `progression-bot`'s sub-commands (`parser.add_subparsers()`)."""
    backup = commands.add_parser("backup", help="copy the database to FILE (safe while serve runs)")
    backup.add_argument("file", type=Path, help="the copy to write (replaced if it exists)")
    backup.set_defaults(run=run_backup)
    parser: argparse.ArgumentParser = backup
    return parser


def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    source = settings.progression_db
    if not source.is_file():
        raise CliError(f"PROGRESSION_DB: no database at {source}: nothing to back up")
    target: Path = args.file
    if target.resolve() == source.resolve():
        raise CliError(f"backup: {target} is PROGRESSION_DB itself; name another file")
    if not target.parent.is_dir():
        raise CliError(f"backup: the folder {target.parent} does not exist; create it first")
    store = Store(source)
    try:
        store.backup(target)
    except (OSError, sqlite3.Error) as error:
        raise CliError(f"backup: could not write {target} ({error})") from None
    finally:
        store.close()
    print(f"Backed up {source} to {target}.", file=sys.stderr)
    return 0
