"""`progression-bot show`, `search` and `import`: the progression in the terminal, and a
district's own documents turned into a data file."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import terminal
from bot.cli.outputs import check_out_file, write_failed
from bot.cli.registry import Commands
from bot.settings import Settings
from progression.importer import import_files
from progression.load import dump_progression
from progression.wording import counted


def register(commands: Commands) -> None:
    show = commands.add("show", run_show, help="print a phase (3), an action (3.8) or a role")
    show.add_argument("what", nargs="*", help="3, 3.8, phase 3 teacher, teacher, help")

    search = commands.add("search", run_search, help="search the progression")
    search.add_argument("words", nargs="+")

    importer = commands.add(
        "import", run_import, help="turn progression documents into a data file"
    )
    importer.add_argument("files", nargs="+", type=Path, help="later files replace phases")
    importer.add_argument("--out", type=Path, required=True, help="the data file to write")


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    print(terminal.show(" ".join(args.what), settings.load_progression()))
    return 0


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    print(terminal.search(" ".join(args.words), settings.load_progression()))
    return 0


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    check_out_file(args.out, replaces=True)
    progression = import_files(args.files)
    try:
        dump_progression(progression, args.out)
    except OSError as error:
        raise write_failed(args.out, error) from None
    actions = sum(len(p.actions) for p in progression.phases)
    phases = counted(len(progression.phases), "phase")
    print(f"Wrote {args.out}: {phases}, {counted(actions, 'action')}.")
    return 0
