"""Finding roles and moves by what staff type: forgiving about case, plurals and punctuation."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

from progression.model import Move, Progression, Role

_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_SPACES = re.compile(r"[\s_-]+")

T = TypeVar("T")


class ProgressionCache(dict[int, tuple["weakref.ref[Progression]", object]]):
    """Per-progression derived data, keyed by identity (hashing a frozen model is costly).

    An entry goes away with its progression, so a reused id() never serves a stale index.
    """

    def get_or_build(self, progression: Progression, build: Callable[[Progression], T]) -> T:
        key = id(progression)
        entry = self.get(key)
        if entry is not None and entry[0]() is progression:
            return entry[1]  # type: ignore[return-value]
        value = build(progression)
        self[key] = (weakref.ref(progression, lambda _ref: self.pop(key, None)), value)
        return value


def normalise_word(word: str) -> str:
    """`  "Teachers!" ` -> `teachers`; inner spaces, hyphens and underscores become one space."""
    return _SPACES.sub(" ", _EDGE_PUNCTUATION.sub("", word.strip().casefold())).strip()


def singular(phrase: str) -> str:
    """Each word of `phrase` without a plural `s`: `student routines` -> `student routine`."""
    return " ".join(_singular_word(word) for word in phrase.split())


def _singular_word(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class _Index:
    roles: dict[str, Role]
    moves: dict[tuple[int, int], Move]
    in_order: tuple[Move, ...]


def _build_index(progression: Progression) -> _Index:
    roles: dict[str, Role] = {}
    for role in progression.roles:
        for word in (role.key, role.name, *role.aliases):
            for form in (normalise_word(word), singular(normalise_word(word))):
                roles.setdefault(form, role)  # the first role to claim a word keeps it
    # Keys win over another role's alias, so `progression.role(key)` and this agree.
    roles.update({role.key: role for role in progression.roles})
    moves = progression.moves()
    return _Index(
        roles=roles,
        moves={(m.phase.number, m.action.number): m for m in moves},
        in_order=tuple(moves),
    )


_indexes = ProgressionCache()


def _index(progression: Progression) -> _Index:
    return _indexes.get_or_build(progression, _build_index)


def find_role(progression: Progression, word: str) -> Role | None:
    """The role `word` names (key, name or alias, any case, singular or plural), or None."""
    wanted = normalise_word(word)
    if not wanted:
        return None
    roles = _index(progression).roles
    return roles.get(wanted) or roles.get(singular(wanted))


def find_move(progression: Progression, phase: int, action: int) -> Move | None:
    """Action `phase.action`, or None when either does not exist."""
    return _index(progression).moves.get((phase, action))


def find_ref(progression: Progression, ref: str) -> Move | None:
    """The move a reference such as "3.8" names; None for anything else ("celebration")."""
    phase, dot, action = ref.partition(".")
    if not dot or not phase.isdigit() or not action.isdigit():
        return None
    return find_move(progression, int(phase), int(action))


def role_moves(
    progression: Progression, role_key: str, phases: Collection[int] | None = None
) -> list[Move]:
    """The role's moves in progression order, limited to `phases` when given."""
    wanted = None if phases is None else frozenset(phases)
    return [
        move
        for move in _index(progression).in_order
        if move.action.role == role_key and (wanted is None or move.phase.number in wanted)
    ]
