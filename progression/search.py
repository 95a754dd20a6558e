"""Ranked search over titles, aliases, actions and next moves."""

from __future__ import annotations

from dataclasses import dataclass

from progression.model import Move, Phase, Progression


@dataclass(frozen=True)
class SearchHit:
    """One match: a whole phase (its title or alias matched) or one move."""

    score: float
    phase: Phase
    move: Move | None = None
    matched: str = ""  # which field matched best: "title", "alias", "text", "next_move", "role"


def search(progression: Progression, query: str, limit: int = 10) -> list[SearchHit]:
    """The best matches for `query`, best first; empty when nothing matches."""
    raise NotImplementedError


def suggestions(progression: Progression, query: str, limit: int = 3) -> list[str]:
    """Words from the progression close to what was typed, for a search with no match."""
    raise NotImplementedError
