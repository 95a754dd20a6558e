"""The `/progression` grammar: forgiving input, typed requests, helpful errors."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import (
    ActionLookup,
    Campus,
    Campuses,
    Command,
    CommandError,
    DigestSetting,
    Help,
    Next,
    PhaseLookup,
    Preview,
    Progress,
    Remind,
    RoleLookup,
    Schedule,
    Search,
    Skip,
    Skips,
    Subscribe,
    Subscriptions,
    Unskip,
    Unsubscribe,
    changes_something,
    for_managers,
    parse_command,
)
from progression.load import load_progression
from progression.model import Progression

PROGRESSION = load_progression()


@pytest.fixture(scope="module")
def progression() -> Progression:
    return PROGRESSION


@pytest.mark.parametrize(
    ("text", "request_"),
    [
        ("", Help()),
        ("   ", Help()),
        ("help", Help()),
        ("HELP", Help()),
        ("phase 3", PhaseLookup(3)),
        ("Phase 3", PhaseLookup(3)),
        ("p3", PhaseLookup(3)),
        ("P3", PhaseLookup(3)),
        ("phase three", PhaseLookup(3)),
        ("phase3", PhaseLookup(3)),
        ("3", PhaseLookup(3)),
        ("phase 3 teacher", PhaseLookup(3, "teacher")),
        ("phase 3 Teachers", PhaseLookup(3, "teacher")),
        ("teachers phase 3", PhaseLookup(3, "teacher")),
        ("p2 principal", PhaseLookup(2, "leader")),
        ("phase 1 student routines", PhaseLookup(1, "student")),
        ("3.8", ActionLookup(3, 8)),
        ("p3.8", ActionLookup(3, 8)),
        ("phase 3 action 8", ActionLookup(3, 8)),
        ("phase 3, action 8", ActionLookup(3, 8)),
        ("Phase Three Action Eight", ActionLookup(3, 8)),
        ("3 8", ActionLookup(3, 8)),
        ("teacher", RoleLookup("teacher")),
        ("role teacher", RoleLookup("teacher")),
        ("Teachers", RoleLookup("teacher")),
        ("leaders", RoleLookup("leader")),
        ("principal", RoleLookup("leader")),
        ("systems", RoleLookup("systems")),
        ("sys", RoleLookup("systems")),
        ("students", RoleLookup("student")),
        ("search rostering", Search("rostering")),
        ("Search SSO Rostering", Search("SSO Rostering")),
        ("find lesson plan", Search("lesson plan")),
        ("next", Next()),
        ("progress", Progress("channel")),
        ("progress me", Progress("me")),
        ("progress all", Progress("all")),
        ("subscribe teacher", Subscribe("teacher")),
        ("subscribe teachers phase 2,3", Subscribe("teacher", (2, 3))),
        ("subscribe teacher phases 3 2", Subscribe("teacher", (2, 3))),
        ("subscribe leader p4", Subscribe("leader", (4,))),
        ("unsubscribe", Unsubscribe()),
        ("subscriptions", Subscriptions()),
        ("schedule", Schedule()),
        ("schedule monday 07:30 America/Chicago", Schedule(0, time(7, 30), "America/Chicago")),
        ("schedule Mon 7:30", Schedule(0, time(7, 30))),
        ("schedule tuesday 3pm utc", Schedule(1, time(15), "UTC")),
        ("schedule fri 7:30 am america/new_york", Schedule(4, time(7, 30), "America/New_York")),
        ("skip 2026-12-21 2027-01-01", Skip(date(2026, 12, 21), date(2027, 1, 1))),
        ("skip 2026-11-26", Skip(date(2026, 11, 26), date(2026, 11, 26))),
        ("skip 2026-12-21 to 2027-01-01", Skip(date(2026, 12, 21), date(2027, 1, 1))),
        ("skips", Skips()),
        ("unskip 2026-12-21", Unskip(date(2026, 12, 21))),
        ("preview", Preview()),
        ("progress campus", Progress("campus")),
        (
            "subscribe teacher campus Lincoln Elementary",
            Subscribe("teacher", (), "Lincoln Elementary"),
        ),
        (
            "subscribe teachers phase 2,3 campus  North   Campus ",
            Subscribe("teacher", (2, 3), "North Campus"),
        ),
        (
            "subscribe leader campus A&amp;M Consolidated",
            Subscribe("leader", (), "A&M Consolidated"),
        ),
        ("campus", Campus()),
        ("campus Lincoln Elementary", Campus("Lincoln Elementary")),
        ("Campus lincoln", Campus("lincoln")),
        ("campuses", Campuses()),
        ("digest", DigestSetting()),
        ("digest friday 14:00", DigestSetting(4, time(14, 0))),
        ("digest Fri 2pm", DigestSetting(4, time(14, 0))),
        ("digest off", DigestSetting(off=True)),
        ("remind", Remind()),
        ("remind thursday", Remind(3)),
        ("remind thurs", Remind(3)),
        ("remind off", Remind(off=True)),
    ],
)
def test_reads_what_staff_type(text: str, request_: object, progression: Progression) -> None:
    assert parse_command(text, progression) == Command(request_)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["phase 3 share", "share 3.8", "SHARE teacher"])
def test_share_word_asks_for_a_public_reply(text: str, progression: Progression) -> None:
    assert parse_command(text, progression).share


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("phase 9", "Phase 9 does not exist: phases are 1-4"),
        ("phase -1", "Phase -1 does not exist: phases are 1-4"),
        ("phase 0", "Phase 0 does not exist"),
        ("3.13", "Phase 3 has no action 13: its actions are 1-12"),
        ("9.1", "Phase 9 does not exist"),
        ("phase", "Which phase?"),
        ("action 8", "Action 8 of which phase?"),
        ("phase 3 teachr", "I don't know `teachr`"),
        ("banana", "I don't know `banana`"),
        ("search", "What should I search for?"),
        ("progress everyone", "`progress` can be followed by `me`, `campus` or `all`"),
        ("subscribe", "Which role"),
        ("subscribe wizard", "I don't know `wizard`"),
        ("subscribe teacher phase 7", "Phase 7 does not exist"),
        ("schedule someday 07:30", "`someday` is not a day of the week"),
        ("schedule monday 25:00", "not a time of day"),
        ("schedule monday 07:30 Mars/Olympus", "`mars/olympus` is not a timezone"),
        ("schedule monday", "At what time?"),
        ("skip 2027-01-01 2026-12-21", "ends (2026-12-21) before it starts (2027-01-01)"),
        ("skip christmas", "`christmas` is not a date"),
        ("skip", "needs a first day and a last day"),
        ("next week please", "`next` takes nothing after it"),
        # Campus names: empty, too long, or markup rather than words (Slack escapes < and >).
        ("subscribe teacher campus", "A campus needs a name"),
        ("subscribe teacher campus " + "L" * 81, "at most 80 characters; that one has 81"),
        ("campus " + "Lincoln " * 11, "at most 80 characters; that one has 87"),
        ("campus &lt;@U123|dana&gt;", "plain words"),
        ("campus *Lincoln*", "plain words"),
        ("campus `Lincoln`", "plain words"),
        ("campus &lt;https://evil.example|Lincoln&gt;", "plain words"),
        ("campus ...", "plain words"),
        ("campuses all", "`campuses` takes nothing after it"),
        # The digest's and the reminders' day and time.
        ("digest someday 14:00", "`someday` is not a day of the week"),
        ("digest friday 25:00", "not a time of day"),
        ("digest friday noonish", "`noonish` is not a time like 07:30"),
        ("digest friday", "At what time?"),
        ("digest friday 14:00 America/Chicago", "the workspace's timezone"),
        ("remind someday", "`someday` is not a day of the week"),
        ("remind thursday 10:00", "it takes only a weekday"),
    ],
)
def test_says_what_was_not_understood(text: str, says: str, progression: Progression) -> None:
    with pytest.raises(CommandError) as raised:
        parse_command(text, progression)
    assert says in raised.value.message
    assert raised.value.hint, "every error offers the closest thing that works"


@pytest.mark.parametrize(
    ("request_", "changes", "managers"),
    [
        (Campus(), False, False),
        (Campus("Lincoln"), True, True),
        (Campuses(), False, False),
        (DigestSetting(), False, False),
        (DigestSetting(4, time(14)), True, True),
        (DigestSetting(off=True), True, True),
        (Remind(), False, False),
        (Remind(3), True, True),
        (Remind(off=True), True, True),
        (Progress("campus"), False, False),
        (Progress("all"), False, True),
        (Subscribe("teacher", (), "Lincoln"), True, True),
    ],
)
def test_showing_is_for_anyone_changing_for_managers(
    request_: object, changes: bool, managers: bool
) -> None:
    assert changes_something(request_) is changes  # type: ignore[arg-type]
    assert for_managers(request_) is managers  # type: ignore[arg-type]


def test_a_near_miss_suggests_the_role(progression: Progression) -> None:
    with pytest.raises(CommandError) as raised:
        parse_command("phase 3 teachr", progression)
    assert "`teacher`" in raised.value.hint


def test_a_misspelt_command_suggests_the_command(progression: Progression) -> None:
    with pytest.raises(CommandError) as raised:
        parse_command("subscirbe", progression)
    assert "/progression subscribe" in raised.value.hint


def test_echoed_input_cannot_ping_or_link(progression: Progression) -> None:
    with pytest.raises(CommandError) as raised:
        parse_command("<!channel> <@U123> <https://evil.example|click>", progression)
    said = raised.value.message + raised.value.hint
    assert "<!channel>" not in said and "<@U123>" not in said and "<https" not in said
    assert "&lt;!channel&gt;" in said


def test_huge_numbers_are_refused_not_crashed(progression: Progression) -> None:
    with pytest.raises(CommandError):
        parse_command("phase " + "9" * 5000, progression)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_request_or_a_helpful_error(text: str) -> None:
    try:
        command = parse_command(text, PROGRESSION)
    except CommandError as error:
        assert error.message and error.hint
        assert len(error.message) + len(error.hint) < 1000
        assert "<!" not in error.message + error.hint
    else:
        assert isinstance(command, Command)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "phase",
                "p3",
                "3",
                "3.8",
                "action",
                "8",
                "teacher",
                "share",
                "search",
                "all",
                "subscribe",
                "schedule",
                "monday",
                "07:30",
                "skip",
                "2026-12-21",
                ",",
                "three",
            ]
        ),
        max_size=8,
    )
)
def test_any_mix_of_command_words_is_handled(words: list[str]) -> None:
    try:
        parse_command(" ".join(words), PROGRESSION)
    except CommandError as error:
        assert error.message and error.hint


def test_every_request_the_grammar_reads_has_a_handler() -> None:
    from typing import get_args

    from bot.grammar import Request
    from bot.handlers import load_handlers

    assert set(get_args(Request)) == set(load_handlers())
