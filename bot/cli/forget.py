"""`progression-bot forget --team T`: delete one workspace's data now, for a district that asks.

It prints what it deleted, table by table. On a terminal it first shows what it would delete
and asks; run from a script (no terminal) it deletes as it is told."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bot.cli.errors import CliError, chosen_team
from bot.cli.registry import Commands
from bot.settings import Settings
from progression.wording import counted
from store import Store


def register(commands: Commands) -> None:
    forget = commands.add(
        "forget",
        run_forget,
        help="delete one workspace's data now (subscriptions, deliveries, check-offs...)",
    )
    forget.add_argument("--team", required=True, help="the workspace (team id, T...)")


def run_forget(
    args: argparse.Namespace,
    settings: Settings,
    *,
    ask: Callable[[str], str] = input,
    on_terminal: Callable[[], bool] = sys.stdin.isatty,
) -> int:
    team = chosen_team(args.team)
    if team is None:
        raise CliError("--team is needed: forget deletes one workspace's data at a time")
    # A database that does not exist holds nothing to forget: never create one to say so.
    store = Store(settings.progression_db, create=False)
    try:
        held = {table: rows for table, rows in store.workspace_rows(team).items() if rows}
        if not held:
            print(f"Nothing is stored about {team}: nothing deleted.")
            return 0
        if on_terminal() and not _confirmed(team, held, ask):
            print("Nothing deleted.")
            return 1
        deleted = store.forget_workspace(team)
    finally:
        store.close()
    print(f"Deleted what was stored about {team}:")
    for table, rows in deleted.items():
        if rows:
            print(f"  {table}: {counted(rows, 'row')}")
    print(f"In all: {counted(sum(deleted.values()), 'row')}.")
    return 0


def _confirmed(team: str, held: dict[str, int], ask: Callable[[str], str]) -> bool:
    print(f"Stored about {team}:")
    for table, rows in held.items():
        print(f"  {table}: {counted(rows, 'row')}")
    try:
        answer = ask(f"Delete all of it for good? Type {team} to confirm: ")
    except EOFError:
        return False
    return answer.strip() == team
