"""Campuses proposed from channel names, and campus names as managers type them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from progression.campus import (
    DISTRICT,
    MAX_CAMPUS_LENGTH,
    CampusNameError,
    campus_name,
    propose_campus,
)
from progression.model import Progression


@pytest.mark.parametrize(
    ("channel", "campus"),
    [
        ("lincoln-teachers", "Lincoln"),
        ("#lincoln-teachers", "Lincoln"),
        ("washington-elementary-leaders", "Washington Elementary"),
        ("roosevelt_ms_students", "Roosevelt Ms"),
        ("ps-118-teacher", "Ps 118"),
        ("lincoln-leadership", "Lincoln"),
        ("district-planning", DISTRICT),
        ("district-systems", DISTRICT),
        ("teachers", DISTRICT),
        ("general", DISTRICT),
        ("lincoln-teachers-2026", "Lincoln"),
    ],
)
def test_the_words_before_the_role_word_propose_the_campus(
    bundled: Progression, channel: str, campus: str
) -> None:
    assert propose_campus(channel, bundled) == campus


@given(st.text(max_size=200))
def test_any_channel_name_proposes_a_usable_campus(channel: str) -> None:
    from progression.load import load_progression

    proposed = propose_campus(channel, load_progression())
    assert 0 < len(proposed) <= MAX_CAMPUS_LENGTH


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Lincoln Elementary", "Lincoln Elementary"),
        ("  Lincoln   Elementary ", "Lincoln Elementary"),
        ("St. Mary's", "St. Mary's"),
        ("A&M Prep", "A&M Prep"),
        ("x" * MAX_CAMPUS_LENGTH, "x" * MAX_CAMPUS_LENGTH),
    ],
)
def test_a_typed_campus_name_is_kept_as_typed(typed: str, name: str) -> None:
    assert campus_name(typed) == name


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("x" * (MAX_CAMPUS_LENGTH + 1), "at most 80 characters"),
        ("<!channel>", "plain words"),
        ("<@U123>", "plain words"),
        ("*bold*", "plain words"),
        ("`code`", "plain words"),
        ("<https://example.com|Lincoln>", "plain words"),
        ("***", "plain words"),
        ("--", "plain words"),
    ],
)
def test_a_campus_name_that_cannot_be_used_says_why(typed: str, says: str) -> None:
    with pytest.raises(CampusNameError) as error:
        campus_name(typed)
    assert says in str(error.value)
