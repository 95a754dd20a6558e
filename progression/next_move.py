"""Which move a channel gets this week (SPEC §4, "Which move").

A channel walks its role's moves in progression order, in rounds. Each week it gets the first
move that is neither checked off in the channel nor posted in the current round; when the round
is through, the next round offers again, in order, whatever is still unchecked. Once everything
is checked off the channel gets one celebration, then nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from progression.model import Move


@dataclass(frozen=True)
class Posted:
    """A move already posted to the channel, in the round it was posted in (first pass: 1)."""

    ref: str
    round: int


@dataclass(frozen=True)
class Nudge:
    move: Move
    round: int


@dataclass(frozen=True)
class Celebration:
    """Everything is checked off: one celebration message, then nothing."""


def next_move_for(
    moves: Sequence[Move],
    posted: Sequence[Posted],
    checked: Collection[str],
    celebrated: bool,
) -> Nudge | Celebration | None:
    """This week's nudge for a channel, given its role's moves (in order) and its history.

    `posted` entries whose ref is not among `moves` (the channel's phases changed) are ignored,
    also when working out the current round. `celebrated` only matters while everything is
    checked off: a move un-checked after the celebration is nudged again.
    """
    unchecked = [move for move in moves if move.ref not in checked]
    if not unchecked:
        return None if celebrated or not moves else Celebration()
    known = {move.ref for move in moves}
    relevant = [p for p in posted if p.ref in known]
    current = max((p.round for p in relevant), default=1)
    in_round = {p.ref for p in relevant if p.round == current}
    for move in unchecked:
        if move.ref not in in_round:
            return Nudge(move=move, round=current)
    return Nudge(move=unchecked[0], round=current + 1)


def upcoming(
    moves: Sequence[Move],
    posted: Sequence[Posted],
    checked: Collection[str],
    celebrated: bool,
    count: int = 2,
) -> list[Nudge | Celebration]:
    """This week's nudge and the following ones, assuming nothing more gets checked off."""
    history = list(posted)
    ahead: list[Nudge | Celebration] = []
    while len(ahead) < count:
        result = next_move_for(moves, history, checked, celebrated)
        if result is None:
            break
        ahead.append(result)
        if isinstance(result, Nudge):
            history.append(Posted(ref=result.move.ref, round=result.round))
        else:
            celebrated = True
    return ahead
