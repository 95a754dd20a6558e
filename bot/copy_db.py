"""`progression-bot copy-db FROM TO`: move a district to another database, history and all."""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import Settings
from store import Store
from store.copy import copy_database, open_source


def add_copy_db_parser(commands: Any) -> argparse.ArgumentParser:
    """Add `copy-db` to `progression-bot`'s sub-commands (`parser.add_subparsers()`)."""
    copy = commands.add_parser(
        "copy-db",
        help="copy every table of one database into another, empty one (SQLite to PostgreSQL)",
    )
    copy.add_argument("source", metavar="FROM", help="a SQLite file (or sqlite:///FILE)")
    copy.add_argument("target", metavar="TO", help="postgresql://USER@HOST:5432/DATABASE")
    copy.set_defaults(run=run_copy_db)
    parser: argparse.ArgumentParser = copy
    return parser


def run_copy_db(args: argparse.Namespace, settings: Settings) -> int:
    source = open_source(args.source)
    try:
        target = Store(args.target, setting="TO")
        try:
            counts = copy_database(source, target)
            label = target.backend.label
        finally:
            target.close()
    finally:
        source.close()
    for table, rows in counts.items():
        print(f"{table}: {rows} rows")
    print(f"Copied {sum(counts.values())} rows to {label}; every table counted on both sides.")
    return 0
