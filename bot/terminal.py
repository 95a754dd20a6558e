"""The progression in the terminal: the same lookups as `/progression`, as plain text."""

from __future__ import annotations

from bot.cli_errors import CliError
from bot.grammar import (
    ActionLookup,
    CommandError,
    Help,
    PhaseLookup,
    RoleLookup,
    Search,
    parse_command,
)
from bot.mrkdwn import unescape
from progression import text
from progression.lookup import find_move
from progression.model import Progression
from progression.search import search as search_progression
from progression.search import suggestions


def show(words: str, progression: Progression) -> str:
    """`show 3`, `show 3.8`, `show phase 3 teacher`, `show teacher`."""
    try:
        request = parse_command(words, progression).request
    except CommandError as error:
        said = f"{error.message} {error.hint}".replace("`", "")
        raise CliError(unescape(said).replace("/progression ", "progression-bot show ")) from None
    match request:
        case PhaseLookup(phase=number, role=role_key):
            phase = progression.phase(number)
            assert phase is not None
            role = progression.role(role_key) if role_key else None
            return text.phase_text(progression, phase, role)
        case ActionLookup(phase=phase_number, action=action):
            move = find_move(progression, phase_number, action)
            assert move is not None
            return text.move_text(progression, move)
        case RoleLookup(role=role_key):
            role = progression.role(role_key)
            assert role is not None
            return text.role_text(progression, role)
        case Search(query=query):
            return search(query, progression)
        case Help():
            raise CliError("show what? Try: progression-bot show 3, show 3.8, show teacher")
    raise CliError(f"show takes a phase, an action or a role, not {words!r}")


def search(query: str, progression: Progression) -> str:
    hits = search_progression(progression, query)
    close = [] if hits else suggestions(progression, query)
    return text.search_text(progression, query, hits, close)
