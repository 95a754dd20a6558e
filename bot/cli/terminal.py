"""The progression in the terminal: the same lookups as `/progression`, as plain text."""

from __future__ import annotations

import shutil

from bot.cli.errors import CliError
from bot.grammar import (
    ActionLookup,
    CommandError,
    Help,
    PhaseLookup,
    RoleLookup,
    Search,
    parse_command,
)
from bot.views.mrkdwn import unescape
from progression import text
from progression.lookup import find_move
from progression.model import Progression
from progression.search import search as search_progression
from progression.search import suggestions

# Narrower than this, a hanging indent leaves too little room for the words.
MIN_WIDTH = 40

SHOW_HELP = """\
The progression in the terminal:
  progression-bot show 3                a phase, its actions by role
  progression-bot show 3.8              one action and its next move
  progression-bot show phase 3 teacher  one role's actions in a phase
  progression-bot show teacher          a role's actions in every phase
  progression-bot search WORDS          the best matches, ranked"""


def terminal_width() -> int:
    """The terminal's columns (`COLUMNS` first; 80 when the output is not a terminal)."""
    return max(shutil.get_terminal_size().columns, MIN_WIDTH)


def show(words: str, progression: Progression, width: int | None = None) -> str:
    """`show 3`, `show 3.8`, `show phase 3 teacher`, `show teacher`, wrapped to `width`."""
    return text.wrap(_show(words, progression), width or terminal_width())


def search(query: str, progression: Progression, width: int | None = None) -> str:
    """Ranked search results, wrapped to `width`."""
    return text.wrap(_search(query, progression), width or terminal_width())


def _show(words: str, progression: Progression) -> str:
    try:
        request = parse_command(words, progression).request
    except CommandError as error:
        said = f"{error.message} {error.hint}".replace("`", "")
        said = unescape(said).replace("/progression search ", "progression-bot search ")
        raise CliError(said.replace("/progression ", "progression-bot show ")) from None
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
            return _search(query, progression)
        case Help():
            return SHOW_HELP
    raise CliError(f"show takes a phase, an action or a role, not {words!r}")


def _search(query: str, progression: Progression) -> str:
    hits = search_progression(progression, query)
    close = [] if hits else suggestions(progression, query)
    return text.search_text(progression, query, hits, close)
