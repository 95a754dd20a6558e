"""`progression-bot export`: every check-off as CSV, one row per completion, with its
channel's campus and role."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.cli.errors import chosen_team
from bot.cli.outputs import check_out_file, write_failed
from bot.cli.registry import Commands
from bot.settings import Settings
from progression.wording import counted
from store import Store
from store.checkoffs import Checkoff

COLUMNS = ("team", "channel", "campus", "role", "move", "user", "checked_at")


def write_checkoffs(checkoffs: Iterable[Checkoff], out: TextIO) -> int:
    """Write the CSV (header first); returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    for c in checkoffs:
        writer.writerow(
            (c.team_id, c.channel_id, c.campus or "", c.role or "", c.ref, c.user_id, c.checked_at)
        )
        rows += 1
    return rows


def export_checkoffs(store: Store, out: TextIO, team_id: str | None = None) -> int:
    return write_checkoffs(store.all_checkoffs(team_id), out)


def register(commands: Commands) -> None:
    export = commands.add("export", run_export, help="write every check-off as CSV")
    export.add_argument("--out", type=Path, help="the CSV file to write (default: stdout)")
    export.add_argument("--team", help="only this workspace (team id, T...)")


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    team = chosen_team(args.team)
    if args.out is not None:
        check_out_file(args.out)
    # Only reads: a database that does not exist is a mistake to report, not one to create.
    store = Store(settings.progression_db, create=False)
    try:
        if args.out is None:
            export_checkoffs(store, sys.stdout, team)
            return 0
        try:
            with args.out.open("w", newline="", encoding="utf-8") as out:
                rows = export_checkoffs(store, out, team)
        except OSError as error:
            raise write_failed(args.out, error) from None
        print(f"Wrote {args.out}: {counted(rows, 'check-off')}.", file=sys.stderr)
        return 0
    finally:
        store.close()
