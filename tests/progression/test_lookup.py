"""Roles and moves found from what staff type."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from progression.importer import make_role
from progression.lookup import find_move, find_role, role_moves
from progression.model import Progression


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("teacher", "teacher"),
        ("Teacher", "teacher"),
        ("teachers", "teacher"),
        ("TEACHERS!", "teacher"),
        ("leaders", "leader"),
        ("principal", "leader"),
        ("Principals", "leader"),
        ("APs", "leader"),
        ("campus leaders", "leader"),
        ("systems", "systems"),
        ("system", "systems"),
        ("sys", "systems"),
        ("Systems Level Planning", "systems"),
        ("systems-level-planning", "systems"),
        ("district", "systems"),
        ("students", "student"),
        ("student routines", "student"),
        ("  (student)  ", "student"),
        ("", None),
        ("   ", None),
        ("!!!", None),
        ("teachr", None),
        ("phase", None),
        ("3", None),
    ],
)
def test_find_role_is_forgiving(word: str, key: str | None, bundled: Progression) -> None:
    role = find_role(bundled, word)
    assert (role.key if role else None) == key


@pytest.mark.parametrize(
    ("phase", "action", "starts"),
    [
        (3, 8, "Teacher sets directions"),
        (1, 1, "Explore, procure, and assess possible LMS options"),
        (4, 12, "Students meaningfully reflect"),
        (3, 6, "_When appropriate_ , the leader"),
        (9, 1, None),
        (3, 13, None),
        (0, 0, None),
        (-1, 2, None),
    ],
)
def test_find_move(phase: int, action: int, starts: str | None, bundled: Progression) -> None:
    move = find_move(bundled, phase, action)
    if starts is None:
        assert move is None
    else:
        assert move is not None and move.ref == f"{phase}.{action}"
        assert move.action.text.startswith(starts)


@pytest.mark.parametrize(
    ("role", "phases", "refs"),
    [
        ("teacher", None, [f"{p}.{a}" for p in range(1, 5) for a in (7, 8, 9)]),
        ("systems", [3, 2], ["2.1", "2.2", "2.3", "3.1", "3.2", "3.3"]),
        ("student", {4}, ["4.10", "4.11", "4.12"]),
        ("leader", [], []),
        ("leader", [9], []),
        ("nobody", None, []),
    ],
)
def test_role_moves_in_progression_order(
    role: str, phases: list[int] | set[int] | None, refs: list[str], bundled: Progression
) -> None:
    assert [m.ref for m in role_moves(bundled, role, phases)] == refs


def test_each_progression_gets_its_own_index(bundled: Progression) -> None:
    assert find_role(bundled, "coach") is None
    custom = bundled.model_copy(update={"roles": (*bundled.roles, make_role("Coaches"))})
    coach = find_role(custom, "coaches")
    assert coach is not None and coach.name == "Coaches"
    assert find_role(bundled, "coach") is None


@given(word=st.text(max_size=200))
def test_find_role_never_raises(word: str, bundled: Progression) -> None:
    role = find_role(bundled, word)
    assert role is None or role in bundled.roles


@pytest.mark.parametrize("transform", [str.upper, str.lower, str.title, lambda w: f" {w}. "])
def test_every_key_name_and_alias_finds_its_role(
    transform: Callable[[str], str], bundled: Progression
) -> None:
    for role in bundled.roles:
        for word in (role.key, role.name, *role.aliases):
            found = find_role(bundled, transform(word))
            assert found is not None and found.key == role.key, word
