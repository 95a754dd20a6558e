"""Progress for leaders through Slack's interfaces, on SQLite and PostgreSQL: `/progression
progress campus` for anyone in a campus's channel, the district's campuses on a manager's App
Home and a campus on its leaders', a person's own progress counted against the moves of their
role channels, and history kept whatever round a channel is in."""

from __future__ import annotations

import csv
import io

import pytest

from bot.cli.export import export_checkoffs
from tests.bot.leaders import LAST_WEEK, MANAGER, THIS_WEEK, District
from tests.slack.signing import TEAM_ID

# channel, name, role, people, and who checked off last week's and this week's nudge.
DISTRICT = (
    ("CLL", "lincoln-leaders", "leader", ("ULEAD1", "ULEAD2"), ("ULEAD1",), ("ULEAD1", "ULEAD2")),
    ("CLT", "lincoln-teachers", "teacher", ("UT1", "UT2", "UT3"), ("UT1", "UT2"), ("UT1",)),
    ("CLS", "lincoln-students", "student", ("UCOACH", "UT1"), (), ()),
    ("CWL", "washington-leaders", "leader", ("UWL",), (), ("UWL",)),
    ("CWT", "washington-teachers", "teacher", ("UW1", "UW2"), ("UW1",), ()),
    ("CDP", "district-planning", "systems", ("UPLAN",), ("UPLAN",), ("UPLAN",)),
)
FIRST_MOVE = {"systems": 1, "leader": 4, "teacher": 7, "student": 10}


@pytest.fixture
def lincoln(district: District) -> District:
    """Two campuses and the district's planners, two weeks of nudges; #lincoln-students has
    had no ✅ on either (it needs attention)."""
    for channel, name, role, people, last, this in DISTRICT:
        district.subscribe(channel, name, role, *people)
        first = FIRST_MOVE[role]
        for week, ref, done in (
            (LAST_WEEK, f"1.{first}", last),
            (THIS_WEEK, f"1.{first + 1}", this),
        ):
            ts = district.nudge(channel, week, ref)
            for user in done:
                district.react(user, channel, ts)
    for person in ("ULEAD1", "UT1", "UT2", "UPLAN"):
        district.api.add_user(person)  # not admins
    return district


def test_anyone_in_a_campus_channel_sees_the_campus_this_week(lincoln: District) -> None:
    said = lincoln.say("progress campus", user="UT2", channel="CLT")
    order = [
        said.index("Lincoln this week · week of Mon 7 Dec 2026"),
        said.index("*Needs attention* (1)"),
        said.index("<#CLS> · no ✅ on its last two nudges"),
        said.index("*On track:* 2 of 3 role channels"),
        said.index("<#CLL> · Leader · 1.5 · ✅ 2 of 2"),
        said.index("<#CLS> · Student · 1.11 · ✅ 0 of 2"),
        said.index("<#CLT> · Teacher · 1.8 · ✅ 1 of 3"),
    ]
    assert order == sorted(order)
    assert "<#CWT>" not in said and "<#CWL>" not in said  # Washington's are not Lincoln's
    assert "Only managers" not in said


def test_progress_campus_outside_a_role_channel_says_where_to_ask(lincoln: District) -> None:
    said = lincoln.say("progress campus", user="UT2", channel="CGENERAL")
    assert "This channel is not a role channel, so it belongs to no campus." in said
    assert "`/progression campuses` lists them" in said


def test_a_managers_home_shows_the_districts_campuses_above_their_own_progress(
    lincoln: District,
) -> None:
    home = lincoln.home(MANAGER)
    order = [
        home.index("The district this week"),
        home.index("*Needs attention* (1)"),
        home.index("<#CLS> · no ✅ on its last two nudges"),
        home.index("*District* · 1 channel · ✅ 100% (1 of 1)"),
        home.index("*Lincoln* · 3 channels · ✅ 43% (3 of 7) · ⚠️ 1 to look at"),
        home.index("*Washington* · 2 channels · ✅ 33% (1 of 3)"),
        home.index("*Your progress*"),
    ]
    assert order == sorted(order)


def test_a_campus_leader_sees_their_campus_on_home_and_a_teacher_does_not(
    lincoln: District,
) -> None:
    leader = lincoln.home("ULEAD1")
    assert leader.index("Lincoln this week") < leader.index("*Your progress*")
    assert "<#CLS> · no ✅ on its last two nudges" in leader
    assert "<#CLT> · Teacher · 1.8 · ✅ 1 of 3" in leader
    assert "<#CWT>" not in leader and "The district this week" not in leader
    assert "*2 of 12* moves of your role channels (17%)" in leader  # 1.4 and 1.5, a leader's 12

    teacher = lincoln.home("UT1")
    assert "this week ·" not in teacher and "Needs attention" not in teacher
    # A teachers' and a students' channel: 24 moves, not the progression's 48.
    assert "*2 of 24* moves of your role channels (8%)" in teacher
    assert "<#CLT> · *Teacher* · 2 of 12 (17%)" in teacher
    assert "<#CLS> · *Student* · 0 of 12 (0%)" in teacher
    assert "Phase 1  ████████░░░░  2 of 3" in teacher


def test_progress_me_asks_slack_for_your_channels_once_then_answers_at_once(
    lincoln: District,
) -> None:
    lincoln.api.clear()
    first = lincoln.say("progress me", user="UT2", channel="CLT")
    assert "*1 of 12* moves of your role channels (8%)" in first
    assert "<#CLT> · *Teacher* · 1 of 12 (8%)" in first
    assert [c.params["user"] for c in lincoln.api.calls("users.conversations")] == ["UT2"]
    reply = lincoln.app.command("progress me", user_id="UT2", channel_id="CLT")
    assert "*1 of 12* moves of your role channels" in reply.said  # in the response itself
    assert len(lincoln.api.calls("users.conversations")) == 1


def test_a_move_checked_off_stays_done_whatever_round_the_channel_is_in(
    district: District,
) -> None:
    district.subscribe("CHT", "lincoln-teachers", "teacher", "UH1", "UH2")
    first = district.nudge("CHT", "2026-W47", "1.7")
    district.react("UH1", "CHT", first)
    district.nudge("CHT", "2026-W48", "1.8")
    # Round 2 offers again what nobody checked off: 1.8, then 1.9.
    district.nudge("CHT", LAST_WEEK, "1.8", round_=2)
    district.nudge("CHT", THIS_WEEK, "1.9", round_=2)

    mine = district.say("progress me", user="UH1", channel="CHT")
    assert "<#CHT> · *Teacher* · 1 of 12 (8%)" in mine
    channel = district.say("progress", user="UH1", channel="CHT")
    assert "Week of Mon 16 Nov 2026 · *1.7*" in channel and "✅ 1 done" in channel
    out = io.StringIO()
    export_checkoffs(district.store, out, TEAM_ID)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["channel"], r["campus"], r["move"], r["user"]) for r in rows] == [
        ("CHT", "Lincoln", "1.7", "UH1")
    ]
