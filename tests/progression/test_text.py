"""Terminal text: the same content as Slack, without mrkdwn markers."""

from __future__ import annotations

import pytest

from progression.lookup import find_move, find_role
from progression.model import Progression
from progression.search import search, suggestions
from progression.text import move_text, phase_text, plain, role_text, search_text


@pytest.mark.parametrize(
    ("mrkdwn", "text"),
    [
        ("_When appropriate_ , the leader", "When appropriate , the leader"),
        ("During *asynchronous learning* leaders", "During asynchronous learning leaders"),
        ("*_both_* and ~gone~", "both and gone"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("snake_case_name and file_name", "snake_case_name and file_name"),
        ("", ""),
    ],
)
def test_plain(mrkdwn: str, text: str) -> None:
    assert plain(mrkdwn) == text


def test_phase_text_has_title_intro_and_actions_grouped_by_role(bundled: Progression) -> None:
    phase = bundled.phase(3)
    assert phase is not None
    lines = phase_text(bundled, phase).splitlines()
    assert lines[0] == "Phase 3: Engagement in Independent Learning"
    assert "Also known as: Asynchronous Student Engagement" in lines
    assert "During asynchronous learning leaders, teachers, and students will:" in lines
    headings = [line for line in lines if line in {r.name for r in bundled.roles}]
    assert headings == ["Systems Level Planning", "Leader", "Teacher", "Student"]
    assert sum(line.strip().startswith("Next move: ") for line in lines) == 12
    assert any("When appropriate , the leader executes" in line for line in lines)
    assert not any("_When" in line or "*asynchronous" in line for line in lines)


def test_phase_text_for_one_role(bundled: Progression) -> None:
    phase, teacher = bundled.phase(3), find_role(bundled, "teachers")
    assert phase is not None and teacher is not None
    text = phase_text(bundled, phase, teacher)
    assert "Teacher leverages asynchronous learning" in text
    assert text.count("Next move: ") == 3
    assert "Leader" not in text.replace("(Teacher)", "")


@pytest.mark.parametrize(
    ("phase", "action", "says"),
    [
        (
            3,
            8,
            [
                "3.8",
                "Teacher",
                "Phase 3: Engagement in Independent Learning",
                "Teacher sets directions that are specific",
                "Next move: Write directions or create video tutorials",
            ],
        ),
        (3, 6, ["Leader", "When appropriate , the leader executes"]),
    ],
)
def test_move_text(phase: int, action: int, says: list[str], bundled: Progression) -> None:
    move = find_move(bundled, phase, action)
    assert move is not None
    text = move_text(bundled, move)
    for expected in says:
        assert expected in text


def test_role_text_lists_the_role_across_phases(bundled: Progression) -> None:
    leader = find_role(bundled, "principal")
    assert leader is not None
    text = role_text(bundled, leader)
    assert text.splitlines()[0] == "Leader"
    assert "Leader identifies LMS for campus wide use" in text
    assert text.count("Next move: ") == 12
    assert text.index("Phase 1:") < text.index("Phase 4:")


def test_search_text_lists_hits(bundled: Progression) -> None:
    hits = search(bundled, "rostering")
    text = search_text(bundled, "rostering", hits, [])
    assert text.splitlines()[0] == 'Search "rostering": 4 matches'
    assert "single sign on (SSO) rostering" in text


def test_search_text_names_a_phase_found_by_its_alias(bundled: Progression) -> None:
    hits = search(bundled, "asynchronous student engagement", limit=1)
    text = search_text(bundled, "asynchronous student engagement", hits, [])
    assert "1 match\n" in text + "\n"
    assert "Phase 3: Engagement in Independent Learning" in text
    assert "Also known as: Asynchronous Student Engagement" in text


@pytest.mark.parametrize(
    ("query", "says"),
    [("rosterng", "Did you mean: rostering?"), ("zzzzqqq", "Try a word")],
)
def test_search_text_without_hits_says_so(query: str, says: str, bundled: Progression) -> None:
    text = search_text(bundled, query, [], suggestions(bundled, query))
    assert text.startswith(f'No match for "{query}".')
    assert says in text
