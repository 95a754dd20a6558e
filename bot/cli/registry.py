"""How a command joins `progression-bot`: its module's `register(commands)` adds it.

argparse, not click: the commands are a handful of flags each, the tests run the CLI as an
operator does (its own process) or in-process through `main(argv)`, and a dependency would buy
nothing argparse lacks here. What argparse lacks is a typed way to add a command; `Commands` is
that, for the app's command modules and for those installed beside it (`progression-bot try`,
through the `progression_bot.commands` entry points).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot.settings import Settings

# A command's work: the parsed arguments and the settings in, the exit status out.
Run = Callable[[argparse.Namespace, Settings], int]


class Commands:
    """The subcommands of one parser."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._subparsers = parser.add_subparsers(required=True, metavar="COMMAND")

    def add(
        self,
        name: str,
        run: Run,
        *,
        help: str,
        description: str | None = None,
        verbatim: bool = False,
    ) -> argparse.ArgumentParser:
        """A new command: its parser, for its arguments; `run` does its work. `verbatim`:
        the description is printed as written (line breaks kept)."""
        parser = self._subparsers.add_parser(
            name,
            help=help,
            description=description or help,
            formatter_class=(
                argparse.RawDescriptionHelpFormatter if verbatim else argparse.HelpFormatter
            ),
        )
        parser.set_defaults(run=run)
        return parser


# What a command module (or an entry point) provides.
Register = Callable[[Commands], None]
