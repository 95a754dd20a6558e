"""Ranked search: what staff type finds the right actions and phases, fast, whatever they type."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from progression.model import Progression
from progression.search import SearchHit, search, stem, suggestions, words


def refs(hits: list[SearchHit]) -> list[str]:
    return [hit.move.ref if hit.move else f"phase {hit.phase.number}" for hit in hits]


@pytest.mark.parametrize("query", ["rostering", "roster", "Rosters", "ROSTERING", "*rostering*"])
def test_rostering_finds_the_sis_sso_actions_first(query: str, bundled: Progression) -> None:
    hits = search(bundled, query)
    assert set(refs(hits[:4])) == {"1.2", "2.2", "3.2", "4.2"}


@pytest.mark.parametrize(
    ("query", "phase", "matched"),
    [
        ("asynchronous student engagement", 3, "alias"),
        ("Asynchronous Student Engagement", 3, "alias"),
        ("engagement in independent learning", 3, "title"),
        ("synchronous student engagement", 2, "title"),
        ("feedback for learning", 4, "title"),
        ("learning management system", 1, "title"),
        ("LMS", 1, "title"),
    ],
)
def test_a_title_or_alias_ranks_its_phase_first(
    query: str, phase: int, matched: str, bundled: Progression
) -> None:
    best = search(bundled, query)[0]
    assert (best.phase.number, best.move, best.matched) == (phase, None, matched)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("when appropriate", "3.6"),
        ("_When appropriate_", "3.6"),
        ("video tutorials", "3.8"),
        ("lesson plan template", "1.6"),
        ("getting-acquainted first assignment", "1.12"),
        ("rubric success criteria", "4.12"),
        ("question stems", "2.10"),
    ],
)
def test_actions_and_next_moves_are_found(query: str, first: str, bundled: Progression) -> None:
    assert refs(search(bundled, query))[0] == first


@pytest.mark.parametrize(
    "query",
    [
        "video conferencing tools",
        "professional development plan",
        "student feedback",
        "asynchronous tasks",
        "experience tools LMS",
    ],
)
def test_hits_with_every_word_rank_above_partial_hits(query: str, bundled: Progression) -> None:
    wanted = {stem(w) for w in words(query)}

    def has_every_word(hit: SearchHit) -> bool:
        if hit.move is None:
            fields = [hit.phase.title, *hit.phase.aliases]
        else:
            fields = [hit.move.action.text, hit.move.action.next_move]
        return wanted <= {stem(w) for text in fields for w in words(text)}

    complete = [has_every_word(hit) for hit in search(bundled, query, limit=60)]
    assert any(complete)
    assert complete == sorted(complete, reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "the", "and of the", "!!!", "* _ ~", "\n\t"])
def test_empty_or_stop_word_queries_find_nothing(query: str, bundled: Progression) -> None:
    assert search(bundled, query) == []


@pytest.mark.parametrize("query", ["tool", "tools"])
def test_singular_and_plural_find_the_same(query: str, bundled: Progression) -> None:
    assert refs(search(bundled, query, limit=60)) == refs(search(bundled, "tools", limit=60))


def test_ties_keep_progression_order(bundled: Progression) -> None:
    hits = search(bundled, "teacher", limit=60)
    assert hits == search(bundled, "teacher", limit=60)
    for before, after in itertools.pairwise(hits):
        if before.score == after.score:
            assert _order(bundled, before) < _order(bundled, after)


def _order(progression: Progression, hit: SearchHit) -> tuple[int, int]:
    return (hit.phase.number, hit.move.action.number if hit.move else 0)


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_limit(limit: int, bundled: Progression) -> None:
    assert len(search(bundled, "students", limit=limit)) == limit


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("rosterng", "rostering"),
        ("asyncronous", "asynchronous"),
        ("feedbak", "feedback"),
        ("tutorals", "tutorials"),
    ],
)
def test_suggestions_for_typos(typed: str, suggested: str, bundled: Progression) -> None:
    assert search(bundled, typed) == []
    assert suggestions(bundled, typed)[0] == suggested


@pytest.mark.parametrize("typed", ["rostering", "", "the", "zzzzqqq"])
def test_no_suggestions_for_right_or_hopeless_words(typed: str, bundled: Progression) -> None:
    assert suggestions(bundled, typed) == []


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("rostering", "roster"),
        ("roster", "roster"),
        ("tools", "tool"),
        ("planning", "plan"),
        ("planned", "plan"),
        ("strategies", "strategy"),
        ("classes", "class"),
        ("asynchronous", "asynchronous"),
        ("sis", "sis"),
        ("needs", "need"),
    ],
)
def test_stem(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


def test_a_search_takes_well_under_a_millisecond(bundled: Progression) -> None:
    search(bundled, "warm the index")
    start = time.perf_counter()
    for _ in range(200):
        search(bundled, "rostering tools")
    assert (time.perf_counter() - start) / 200 < 0.001


def test_a_huge_query_still_returns_quickly(bundled: Progression) -> None:
    huge = ("rostering lorem ipsum dolor sit amet " * 200)[:5000]
    start = time.perf_counter()
    search(bundled, huge)
    suggestions(bundled, huge)
    assert time.perf_counter() - start < 0.05


@given(query=st.text(max_size=300), limit=st.integers(-2, 20))
def test_search_never_raises(query: str, limit: int, bundled: Progression) -> None:
    hits = search(bundled, query, limit)
    assert len(hits) <= max(limit, 0)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(suggestions(bundled, query)) <= 3
