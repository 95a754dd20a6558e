"""`progression-bot copy-db FROM TO`: move a district to another database, history and all."""

from __future__ import annotations

import argparse

from bot.cli.registry import Commands
from bot.settings import Settings
from progression.wording import counted
from store import Store
from store.copy import copy_database, open_source


def register(commands: Commands) -> None:
    copy = commands.add(
        "copy-db",
        run_copy_db,
        help="copy every table of one database into another, empty one (SQLite to PostgreSQL)",
    )
    copy.add_argument("source", metavar="FROM", help="a SQLite file (or sqlite:///FILE)")
    copy.add_argument("target", metavar="TO", help="postgresql://USER@HOST:5432/DATABASE")


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
        print(f"{table}: {counted(rows, 'row')}")
    copied = counted(sum(counts.values()), "row")
    print(f"Copied {copied} to {label}; every table counted on both sides.")
    return 0
