"""`progression-bot backup FILE`: a consistent copy of the live database, safe while serving."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from bot.cli.errors import CliError
from bot.cli.outputs import check_out_file, write_failed
from bot.cli.registry import Commands
from bot.settings import Settings
from store import Store
from store.opening import parse_target


def register(commands: Commands) -> None:
    backup = commands.add(
        "backup", run_backup, help="copy the database to FILE (safe while serve runs)"
    )
    backup.add_argument("file", type=Path, help="the copy to write (replaced if it exists)")


def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    database = parse_target(settings.progression_db)
    target: Path = args.file
    if database.kind != "sqlite":
        raise CliError(
            f"backup copies a SQLite database; PROGRESSION_DB is PostgreSQL: use pg_dump, "
            f"e.g. pg_dump --format=custom --file={target} DATABASE"
        )
    source = Path(database.location)
    if target.absolute() == source.absolute() or (
        target.exists() and source.exists() and target.samefile(source)
    ):
        raise CliError(f"backup {target}: is PROGRESSION_DB itself; name another file")
    check_out_file(target, "backup", replaces=True)
    # Only reads: no database there is a mistake to report, not an empty one to copy.
    store = Store(source, create=False)
    try:
        store.backup(target)
    except OSError as error:
        raise write_failed(target, error, "backup") from None
    except sqlite3.Error as error:
        raise CliError(f"backup {target}: could not copy the database ({error})") from None
    finally:
        store.close()
    print(f"Backed up {source} to {target}.", file=sys.stderr)
    return 0
