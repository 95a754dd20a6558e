"""Which move a channel gets each week: the concrete cases, and the rules for every history."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from progression.model import Action, Move, Phase
from progression.next_move import Celebration, Nudge, Posted, next_move_for, upcoming


def role_moves(*phase_sizes: int) -> list[Move]:
    """A role's moves over phases 1, 2, ... with that many actions each, in order."""
    moves = []
    for p, size in enumerate(phase_sizes, start=1):
        actions = tuple(
            Action(number=a, role="teacher", text=f"do {p}.{a}", next_move=f"then {p}.{a}")
            for a in range(1, size + 1)
        )
        phase = Phase(number=p, title=f"Phase {p}", actions=actions)
        moves += [Move(phase=phase, action=action) for action in actions]
    return moves


MOVES = role_moves(2, 2)  # 1.1 1.2 2.1 2.2


def history(*entries: tuple[str, int]) -> list[Posted]:
    return [Posted(ref=ref, round=round_) for ref, round_ in entries]


def describe(result: Nudge | Celebration | None) -> str | None:
    """ "1.2@1" for a nudge of 1.2 in round 1, "celebrate", or None."""
    if isinstance(result, Nudge):
        return f"{result.move.ref}@{result.round}"
    return "celebrate" if isinstance(result, Celebration) else None


@pytest.mark.parametrize(
    ("posted", "checked", "celebrated", "expected"),
    [
        pytest.param([], set(), False, "1.1@1", id="first week: first move"),
        pytest.param([], {"1.1"}, False, "1.2@1", id="checked off before posted: skipped"),
        pytest.param(history(("1.1", 1)), set(), False, "1.2@1", id="next in the round"),
        pytest.param(history(("1.1", 1), ("1.2", 1)), {"2.1"}, False, "2.2@1", id="skips checked"),
        pytest.param(
            history(("1.1", 1), ("1.2", 1), ("2.1", 1), ("2.2", 1)),
            set(),
            False,
            "1.1@2",
            id="round through: a new round from the start",
        ),
        pytest.param(
            history(("1.1", 1), ("1.2", 1), ("2.1", 1), ("2.2", 1)),
            {"1.1", "2.1"},
            False,
            "1.2@2",
            id="new round offers only what is unchecked",
        ),
        pytest.param(
            history(("1.1", 1), ("1.2", 1), ("2.1", 1)),
            {"2.2"},
            False,
            "1.1@2",
            id="round through by checking off its last move",
        ),
        pytest.param(
            history(("1.1", 1), ("1.2", 1), ("2.1", 1), ("2.2", 1), ("1.1", 2)),
            set(),
            False,
            "1.2@2",
            id="the current round is the highest",
        ),
        pytest.param(
            history(("9.9", 4), ("1.1", 1)),
            set(),
            False,
            "1.2@1",
            id="posts of moves no longer in the list are ignored",
        ),
        pytest.param(
            [], {"1.1", "1.2", "2.1", "2.2"}, False, "celebrate", id="all checked: celebrate"
        ),
        pytest.param(
            history(("1.1", 1)),
            {"1.1", "1.2", "2.1", "2.2", "7.7"},
            True,
            None,
            id="celebrated: nothing more",
        ),
        pytest.param(
            history(("1.1", 1), ("1.2", 1), ("2.1", 1), ("2.2", 1)),
            {"1.1", "1.2", "2.1"},
            True,
            "2.2@2",
            id="un-checked after the celebration: nudged again",
        ),
    ],
)
def test_next_move_for(
    posted: list[Posted], checked: set[str], celebrated: bool, expected: str | None
) -> None:
    assert describe(next_move_for(MOVES, posted, checked, celebrated)) == expected


@pytest.mark.parametrize("celebrated", [False, True])
def test_no_moves_no_nudge(celebrated: bool) -> None:
    assert next_move_for([], history(("1.1", 1)), {"1.1"}, celebrated) is None


@pytest.mark.parametrize(
    ("posted", "checked", "celebrated", "count", "expected"),
    [
        pytest.param([], set(), False, 2, ["1.1@1", "1.2@1"], id="this week and next"),
        pytest.param(
            history(("1.1", 1), ("1.2", 1), ("2.1", 1)),
            set(),
            False,
            3,
            ["2.2@1", "1.1@2", "1.2@2"],
            id="into the next round",
        ),
        pytest.param(
            [], {"1.1", "1.2", "2.1"}, False, 3, ["2.2@1", "2.2@2", "2.2@3"], id="one left"
        ),
        pytest.param([], {"1.1", "1.2", "2.1", "2.2"}, False, 2, ["celebrate"], id="celebrate"),
        pytest.param([], {"1.1", "1.2", "2.1", "2.2"}, True, 2, [], id="nothing left"),
    ],
)
def test_upcoming(
    posted: list[Posted], checked: set[str], celebrated: bool, count: int, expected: list[str]
) -> None:
    ahead = upcoming(MOVES, posted, checked, celebrated, count=count)
    assert [describe(result) for result in ahead] == expected


def test_upcoming_does_not_touch_the_history() -> None:
    posted = history(("1.1", 1))
    upcoming(MOVES, posted, set(), False)
    assert posted == history(("1.1", 1))


# Role move lists of 0 to 30 moves over up to 10 phases.
move_lists = st.lists(st.integers(min_value=1, max_value=6), max_size=10).map(
    lambda sizes: role_moves(*sizes)[:30]
)


@settings(max_examples=200, deadline=None)
@given(moves=move_lists, data=st.data())
def test_the_rule_week_after_week(moves: list[Move], data: st.DataObject) -> None:
    """Run the rule week after week while random moves get checked off between weeks."""
    refs = [move.ref for move in moves]
    order = {ref: index for index, ref in enumerate(refs)}
    posted: list[Posted] = []
    checked: set[str] = set()
    celebrated = False
    weeks = data.draw(st.integers(min_value=0, max_value=3 * len(moves) + 3), label="weeks")
    for _ in range(weeks):
        if refs:
            checked |= data.draw(st.sets(st.sampled_from(refs), max_size=2), label="checked")
        result = next_move_for(moves, posted, checked, celebrated)
        all_checked = checked >= set(refs)
        if isinstance(result, Nudge):
            ref, current = result.move.ref, max((p.round for p in posted), default=1)
            assert ref not in checked
            assert Posted(ref, result.round) not in posted, "repeated within a round"
            assert result.round in (current, current + 1)
            in_round = [order[p.ref] for p in posted if p.round == result.round]
            assert all(index < order[ref] for index in in_round), "out of order in its round"
            posted.append(Posted(ref, result.round))
        elif isinstance(result, Celebration):
            assert refs and all_checked and not celebrated
            celebrated = True
        else:
            assert not refs or (all_checked and celebrated)

    # Every unchecked move comes within len(moves) weeks, even if nothing more is checked off.
    ahead = upcoming(moves, posted, checked, celebrated, count=len(moves))
    nudged = {result.move.ref for result in ahead if isinstance(result, Nudge)}
    assert nudged == set(refs) - checked
