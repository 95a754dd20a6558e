"""Block Kit views as plain dicts: what a user would notice, and Slack's limits for any data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import views
from bot.grammar import CommandError
from bot.views.mrkdwn import escape
from progression.load import load_progression
from progression.model import Action, Move, Phase, Progression, Role
from progression.search import SearchHit
from tests.bot.blockkit import assert_within_block_kit_limits


@pytest.fixture(scope="module")
def bundled() -> Progression:
    return load_progression()


ROLES = (
    Role(key="systems", name="Systems Level Planning", aliases=("sys", "systems")),
    Role(key="leader", name="Leader", aliases=("leaders", "principal")),
    Role(key="teacher", name="Teacher", aliases=("teachers",)),
    Role(key="student", name="Student", aliases=("students",)),
)
ROLE_OF = dict.fromkeys(range(1, 4), "systems") | dict.fromkeys(range(4, 7), "leader")
ROLE_OF |= dict.fromkeys(range(7, 10), "teacher") | dict.fromkeys(range(10, 13), "student")

# Phase 3 word for word from the newer source document (markup translated to mrkdwn).
PHASE_3 = [
    (
        (
            "Explore, procure, and assess possible experience tools that meet District all "
            "security standards and can be embedded to enhance the LMS."
        ),
        (
            "Determine needs and criteria for experience tools that integrate with the LMS, then "
            "review possible options."
        ),
    ),
    (
        "Establish infrastructure to support experience tools and user rostering.",
        "Use the Student Information System (SIS) to set up a single sign on (SSO) rostering.",
    ),
    (
        (
            "Design an implementation plan and roll out with training and support at leader and "
            "teacher level."
        ),
        "Create a comprehensive professional development and support plan.",
    ),
    (
        (
            "Leader identifies asynchronous experience tools for campus wide use or across grade "
            "level bands."
        ),
        (
            "Leader provides onboarding opportunities for parents and students to understand what"
            " it means to learn asynchronously."
        ),
    ),
    (
        "Leader communicates lesson planning expectations for asynchronous learning.",
        (
            "Define the elements of a successful asynchronous lesson and set expectations for "
            "planning."
        ),
    ),
    (
        (
            "_When appropriate_ , the leader executes asynchronous professional development for "
            "staff."
        ),
        (
            "Determine your purpose and outcomes for professional development, then choose the "
            "model that best fits your vision (synchronous or asynchronous)."
        ),
    ),
    (
        (
            "Teacher leverages asynchronous learning to introduce new material or provide direct "
            "instruction."
        ),
        (
            "Plan for experiences over a week that use asynchronous for direct instruction so "
            "that synchronous time can be used to clarify misconceptions, apply new learning, or "
            "deepen understanding."
        ),
    ),
    (
        "Teacher sets directions that are specific, concrete, sequential, and observable.",
        (
            "Write directions or create video tutorials that are explicit and clear for every "
            "asynchronous task."
        ),
    ),
    (
        (
            "Teacher plans tasks that engage students with the teacher or their peers in an "
            "online environment."
        ),
        (
            "Leverage components of the LMS or other experience tools that promote online "
            "discussion or collaboration."
        ),
    ),
    (
        ("Students troubleshoot and access asynchronous tasks without support from the teacher."),
        "Explicitly teach and practice routines and procedures for asynchronous learning.",
    ),
    (
        (
            "Students begin to build agency by setting short-term academic and non-academic goals"
            " to drive independent learning."
        ),
        (
            "Support students in building habits and routines to be successful in a distance "
            "learning environment."
        ),
    ),
    (
        (
            "Students complete authentic work that they are proud to share with their peers and "
            "community."
        ),
        (
            "Design work that is interconnected and provides opportunities for authentic "
            "audiences, student-led conferences, or celebrations of learning that make learning "
            "fun."
        ),
    ),
]
PHASE_4_TEACHER = [
    (
        (
            "Teacher creates an exemplar to internalize the learning goal and determine what "
            "success looks like."
        ),
        (
            "Develop a sequenced list of conceptual milestones to identify the learning path a "
            "student might take."
        ),
    ),
    (
        (
            "Teacher provides timely, relevant, and frequent feedback that moves learning forward"
            " in both synchronous and asynchronous learning."
        ),
        (
            "Embed check for understandings throughout the learning cycle to gather evidence to "
            "assess progress towards mastery."
        ),
    ),
    (
        (
            "Teacher is responsive to student learning and adjusts feedback to meet the needs of "
            "all students."
        ),
        "Develop a system to keep track of feedback provided to students.",
    ),
]
SOURCE_LINK = (
    "<https://www.thepttoolbox.com/distancelearningprogression"
    "|thepttoolbox.com/distancelearningprogression>"
)


def _phase_3() -> Phase:
    return Phase(
        number=3,
        title="Engagement in Independent Learning",
        aliases=("Asynchronous Student Engagement",),
        intro="During *asynchronous learning* leaders, teachers, and students will:",
        actions=tuple(
            Action(number=n, role=ROLE_OF[n], text=text, next_move=move)
            for n, (text, move) in enumerate(PHASE_3, start=1)
        ),
    )


def _phase_4_teacher() -> Phase:
    actions = tuple(
        Action(number=n, role="teacher", text=text, next_move=move)
        for n, (text, move) in enumerate(PHASE_4_TEACHER, start=7)
    )
    return Phase(number=4, title="Feedback for Learning", actions=actions)


def _first_action_only(number: int, title: str, text: str, next_move: str) -> Phase:
    action = Action(number=1, role="systems", text=text, next_move=next_move)
    return Phase(number=number, title=title, actions=(action,))


PROGRESSION = Progression(
    source="www.thepttoolbox.com/distancelearningprogression",
    roles=ROLES,
    phases=(
        _first_action_only(
            1,
            "Establish a Learning Management System (LMS)",
            "Explore, procure, and assess possible LMS options that meet all District security "
            "standards.",
            "Determine needs and criteria for LMS, then review possible options.",
        ),
        _first_action_only(
            2,
            "Synchronous Student Engagement",
            "Explore, procure, and assess possible video conferencing platforms that meet all "
            "District security standards.",
            "Determine needs and criteria for video conferencing tools, then review possible "
            "options.",
        ),
        _phase_3(),
        _phase_4_teacher(),
    ),
)
PHASE = PROGRESSION.phases[2]


# --- reading a message as a user would -------------------------------------------------


def texts(message: dict[str, Any]) -> list[str]:
    """Every visible text of the message, block by block, in order."""
    found: list[str] = []
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found.extend(
            element["text"]["text"] if isinstance(element["text"], dict) else element["text"]
            for element in block.get("elements", [])
        )
    return found


def sections(message: dict[str, Any]) -> list[str]:
    return [block["text"]["text"] for block in message["blocks"] if block["type"] == "section"]


def refs(message: dict[str, Any]) -> list[str]:
    """The `P.A` of every action shown, in order."""
    return [m[1] for text in sections(message) if (m := re.match(r"\*(\d+\.\d+)\*", text))]


def headings(message: dict[str, Any]) -> list[str]:
    """Bold one-line sections: the role (or phase) names actions are grouped under."""
    return [t[1:-1] for t in sections(message) if re.fullmatch(r"\*[^*\n]+\*", t)]


def grouping(message: dict[str, Any]) -> dict[str, list[str]]:
    """Each heading with the actions shown under it."""
    groups: dict[str, list[str]] = {}
    current = ""
    for text in sections(message):
        if re.fullmatch(r"\*[^*\n]+\*", text):
            current = text[1:-1]
        elif m := re.match(r"\*(\d+\.\d+)\*", text):
            groups.setdefault(current, []).append(m[1])
    return groups


def header(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def everything(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def move(ref: str, progression: Progression = PROGRESSION) -> Move:
    phase_number, action_number = (int(n) for n in ref.split("."))
    return next(m for m in progression.moves() if m.ref == f"{phase_number}.{action_number}")


# --- phase -----------------------------------------------------------------------------


def test_phase_shows_title_intro_and_its_12_actions_grouped_by_role_in_order() -> None:
    message = views.phase_message(PROGRESSION, PHASE)
    assert header(message) == "Phase 3 · Engagement in Independent Learning"
    assert message["text"] == "Phase 3 · Engagement in Independent Learning"
    assert "During *asynchronous learning* leaders, teachers, and students will:" in sections(
        message
    )
    assert headings(message) == ["Systems Level Planning", "Leader", "Teacher", "Student"]
    assert grouping(message) == {
        "Systems Level Planning": ["3.1", "3.2", "3.3"],
        "Leader": ["3.4", "3.5", "3.6"],
        "Teacher": ["3.7", "3.8", "3.9"],
        "Student": ["3.10", "3.11", "3.12"],
    }


def test_the_bundled_phase_3_reads_as_the_document(bundled: Progression) -> None:
    phase = bundled.phase(3)
    assert phase is not None
    message = views.phase_message(bundled, phase)
    assert header(message) == "Phase 3 · Engagement in Independent Learning"
    assert list(grouping(message)) == ["Systems Level Planning", "Leader", "Teacher", "Student"]
    assert refs(message) == [f"3.{n}" for n in range(1, 13)]
    for action in phase.actions:
        assert (
            f"*3.{action.number}*  {escape(action.text)}\n"
            f":arrow_right: *Next move:* {escape(action.next_move)}"
        ) in sections(message)


@pytest.mark.parametrize("number", range(1, 13))
def test_each_action_shows_its_text_and_next_move_word_for_word(number: int) -> None:
    text, next_move = PHASE_3[number - 1]
    [shown] = [
        s
        for s in sections(views.phase_message(PROGRESSION, PHASE))
        if s.startswith(f"*3.{number}*")
    ]
    assert shown == f"*3.{number}*  {text}\n:arrow_right: *Next move:* {next_move}"


def test_phase_links_the_source_and_says_how_to_check_off() -> None:
    footer = views.phase_message(PROGRESSION, PHASE)["blocks"][-1]
    assert footer["type"] == "context"
    footer_text = " ".join(element["text"] for element in footer["elements"])
    assert SOURCE_LINK in footer_text
    assert "✅" in footer_text
    assert "`/progression 3.8`" in footer_text


def test_phase_with_a_role_shows_only_that_roles_actions() -> None:
    message = views.phase_message(PROGRESSION, PHASE, "teacher")
    assert grouping(message) == {"Teacher": ["3.7", "3.8", "3.9"]}
    assert "Students troubleshoot" not in everything(message)
    assert message["text"] == "Phase 3 · Engagement in Independent Learning · Teacher"


def test_phase_with_no_intro_has_no_empty_section() -> None:
    message = views.phase_message(PROGRESSION, PROGRESSION.phases[3])
    assert header(message) == "Phase 4 · Feedback for Learning"
    assert headings(message) == ["Teacher"]


# --- action ----------------------------------------------------------------------------


def test_action_shows_role_phase_text_and_next_move() -> None:
    message = views.action_message(PROGRESSION, move("3.8"))
    assert header(message) == "3.8 · Teacher"
    shown = texts(message)
    assert "Phase 3 · Engagement in Independent Learning" in shown
    assert (
        "Teacher sets directions that are specific, concrete, sequential, and observable." in shown
    )
    assert (
        ":arrow_right: *Next move:* Write directions or create video tutorials that are "
        "explicit and clear for every asynchronous task." in shown
    )
    assert "checked it off" not in everything(message), "no counts given, no count shown"
    assert message["text"].startswith("3.8 · Teacher")


@pytest.mark.parametrize(
    ("checked_by", "count", "line"),
    [
        ([], 0, "Nobody in this channel has checked it off yet"),
        (None, 0, "Nobody in this channel has checked it off yet"),
        (["U1"], None, "✅ 1 in this channel has checked it off: <@U1>"),
        (["U1", "W2"], 2, "✅ 2 in this channel have checked it off: <@U1>, <@W2>"),
        ([f"U{n:03}" for n in range(10)], 10, "✅ 10 in this channel have checked it off: <@U000>"),
        ([f"U{n:03}" for n in range(11)], 11, "✅ 11 in this channel have checked it off"),
        (None, 40, "✅ 40 in this channel have checked it off"),
    ],
)
def test_action_says_who_in_this_channel_checked_it_off(
    checked_by: list[str] | None, count: int | None, line: str
) -> None:
    message = views.action_message(PROGRESSION, move("3.8"), checked_by, count)
    [shown] = [s for s in sections(message) if "checked it off" in s]
    assert shown.startswith(line)
    if count is not None and count > 10:
        assert "<@" not in shown, "more than ten: a count, not a list"


def test_action_never_mentions_something_that_is_not_a_user_id() -> None:
    message = views.action_message(PROGRESSION, move("3.8"), ["<!channel>"], 1)
    assert "<!channel>" not in everything(message)


# --- role ------------------------------------------------------------------------------


def test_role_shows_its_actions_in_every_phase_grouped_by_phase() -> None:
    message = views.role_message(PROGRESSION, "teacher")
    assert header(message) == "Teacher · every phase"
    assert grouping(message) == {
        "Phase 3 · Engagement in Independent Learning": ["3.7", "3.8", "3.9"],
        "Phase 4 · Feedback for Learning": ["4.7", "4.8", "4.9"],
    }
    assert "Develop a system to keep track of feedback provided to students." in everything(message)


def test_role_with_no_actions_in_a_phase_skips_that_phase() -> None:
    assert list(grouping(views.role_message(PROGRESSION, "leader"))) == [
        "Phase 3 · Engagement in Independent Learning"
    ]
    assert list(grouping(views.role_message(PROGRESSION, "systems"))) == [
        "Phase 1 · Establish a Learning Management System (LMS)",
        "Phase 2 · Synchronous Student Engagement",
        "Phase 3 · Engagement in Independent Learning",
    ]


# --- search ----------------------------------------------------------------------------


def test_search_keeps_the_ranking_and_shows_each_hit() -> None:
    hits = [
        SearchHit(3.0, PHASE, move("3.2"), "next_move"),
        SearchHit(2.0, PHASE, None, "alias"),
        SearchHit(1.0, PHASE, move("3.7"), "text"),
    ]
    message = views.search_message(PROGRESSION, "asynchronous rostering", hits, [])
    found = sections(message)
    assert found[0] == "Best matches for `asynchronous rostering`"
    assert found[1].startswith("*3.2* · Systems Level Planning · Phase 3\n")
    assert "single sign on (SSO) rostering" in found[1]
    assert found[2].startswith("*Phase 3* · Engagement in Independent Learning")
    assert "also known as _Asynchronous Student Engagement_" in found[2]
    assert found[3].startswith("*3.7* · Teacher · Phase 3")
    assert message["text"] == "Best matches for asynchronous rostering"


def test_search_with_no_hits_offers_suggestions_and_examples() -> None:
    message = views.search_message(PROGRESSION, "rostring", [], ["rostering"])
    shown = sections(message)[0]
    assert "No matches for `rostring`" in shown
    assert "Did you mean `rostering`?" in shown
    assert "`/progression phase 3`" in shown


def test_an_echoed_query_is_escaped_everywhere() -> None:
    query = "<!channel> & <@U1>"
    for message in (
        views.search_message(PROGRESSION, query, [], ["<!here>"]),
        views.search_message(PROGRESSION, query, [SearchHit(1.0, PHASE, move("3.1"))], []),
    ):
        assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in sections(message)[0]
        assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in message["text"]
        for raw in ("<!channel>", "<@U1>", "<!here>"):
            assert raw not in everything(message)


def test_data_text_is_escaped_in_mrkdwn_and_plain_in_headers() -> None:
    action = Action(number=1, role="teacher", text="Q&A <b> _now_", next_move="Use <3 & >_<")
    phase = Phase(number=1, title="Tools & *Teams* <2>", actions=(action,))
    progression = Progression(roles=ROLES, phases=(phase,))
    message = views.phase_message(progression, phase)
    assert header(message) == "Phase 1 · Tools & Teams <2>"
    assert (
        "*1.1*  Q&amp;A &lt;b&gt; _now_\n:arrow_right: *Next move:* Use &lt;3 &amp; &gt;_&lt;"
        in (sections(message))
    )
    assert message["text"] == "Phase 1 · Tools &amp; Teams &lt;2&gt;"


# --- help and errors -------------------------------------------------------------------


def test_help_has_an_example_for_every_command() -> None:
    shown = everything(views.help_message(PROGRESSION))
    for example in (
        "`/progression help`",
        "`/progression phase 3`",
        "`/progression phase 3 teacher`",
        "`/progression 3.8`",
        "`/progression phase 3 action 8`",
        "`/progression teacher`",
        "`/progression role teacher`",
        "`/progression search rostering`",
        "share",
        "`/progression next`",
        "`/progression progress`",
        "`/progression progress me`",
        "`/progression subscribe teacher [phase 2,3]`",
        "`/progression unsubscribe`",
        "`/progression subscriptions`",
        "`/progression schedule monday 07:30 America/Chicago`",
        "`/progression skip 2026-12-21 2027-01-01`",
        "`/progression skips`",
        "`/progression unskip",
        "`/progression preview`",
        "`/progression progress all`",
        "`/progression progress campus`",
        "`/progression subscribe teacher campus Lincoln Elementary`",
        "`/progression campus`",
        "`/progression campus Lincoln Elementary`",
        "`/progression campuses`",
        "`/progression digest`",
        "`/progression digest friday 14:00`",
        "`/progression digest off`",
        "`/progression remind thursday`",
        "`/progression remind off`",
        "✅",
    ):
        assert example in shown


def test_help_examples_exist_in_a_districts_own_progression() -> None:
    phase = Phase(
        number=1, title="One", actions=(Action(number=5, role="coach", text="t", next_move="n"),)
    )
    progression = Progression(roles=(Role(key="coach", name="Coach"),), phases=(phase,))
    shown = everything(views.help_message(progression))
    assert "`/progression phase 1 coach`" in shown
    assert "`/progression 1.5`" in shown


def test_error_says_what_and_how_to_get_help() -> None:
    error = CommandError("Phase 9 does not exist: phases are 1-4.", "Try `/progression phase 1`.")
    message = views.error_message(error)
    assert sections(message) == [
        ":thinking_face: Phase 9 does not exist: phases are 1-4.\nTry `/progression phase 1`."
    ]
    assert "`/progression help` shows everything" in texts(message)
    assert message["text"] == "Phase 9 does not exist: phases are 1-4."


def test_internal_error_is_polite_and_points_at_help() -> None:
    message = views.internal_error_message()
    [shown] = sections(message)
    assert "Something went wrong on our side; it has been logged." in shown
    assert "Please try again, or `/progression help`." in shown
    assert "Traceback" not in everything(message)
    assert_within_block_kit_limits(message)


def test_home_tab_says_what_the_app_does() -> None:
    view = views.home_view(PROGRESSION)
    assert view["type"] == "home"
    assert "`/progression phase 3`" in everything(view)
    assert_within_block_kit_limits(view)


# --- sharing ---------------------------------------------------------------------------


def test_share_button_re_runs_the_command_in_public() -> None:
    message = views.with_share_button(views.phase_message(PROGRESSION, PHASE), "phase 3")
    [block] = [b for b in message["blocks"] if b["type"] == "actions"]
    [button] = block["elements"]
    assert button["text"]["text"] == "Share in channel"
    assert button["action_id"] == views.SHARE_ACTION == "share_reply"
    assert button["value"] == "phase 3"


def test_share_button_for_empty_command_shares_help() -> None:
    message = views.with_share_button(views.help_message(PROGRESSION), "  ")
    assert message["blocks"][-1]["elements"][0]["value"] == "help"


def test_no_share_button_for_a_command_too_long_to_carry() -> None:
    reply = views.search_message(PROGRESSION, "x" * 2001, [], [])
    assert views.with_share_button(reply, "search " + "x" * 2001) == reply


def test_a_full_message_gives_up_its_last_block_for_the_share_button() -> None:
    full = {"text": "x", "blocks": [_section(str(n)) for n in range(views.MAX_BLOCKS)]}
    message = views.with_share_button(full, "phase 3")
    assert len(message["blocks"]) == views.MAX_BLOCKS
    assert message["blocks"][:-1] == full["blocks"][:-1]
    assert message["blocks"][-1]["elements"][0]["action_id"] == views.SHARE_ACTION
    assert_within_block_kit_limits(message)
    assert_within_block_kit_limits(views.shared_message(message, "U1"))


def test_shared_message_names_who_shared_it_and_has_no_button() -> None:
    private = views.with_share_button(views.action_message(PROGRESSION, move("3.8")), "3.8")
    shared = views.shared_message(private, "U77")
    assert shared["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Shared by <@U77>"}],
    }
    assert "share_reply" not in everything(shared)
    assert shared["blocks"][:-1] == private["blocks"][:-1]
    assert shared["text"] == private["text"]


# --- Slack's limits, for any progression -----------------------------------------------


def all_messages(progression: Progression) -> Iterator[dict[str, Any]]:
    """Every reply a user can get from this progression, private and shared."""
    yield views.help_message(progression)
    for phase in progression.phases:
        yield views.phase_message(progression, phase)
        for role in progression.roles:
            yield views.phase_message(progression, phase, role.key)
    for role in progression.roles:
        yield views.role_message(progression, role.key)
    moves = progression.moves()
    for m in moves:
        yield views.action_message(progression, m, [f"U{n}" for n in range(10)], 10)
    hits = [SearchHit(1.0, m.phase, m, "text") for m in moves]
    hits += [SearchHit(1.0, p, None, "alias") for p in progression.phases]
    yield views.search_message(progression, "rostering " * 500, hits, [])
    yield views.search_message(progression, "x" * 5000, [], ["y" * 5000] * 20)


def assert_every_reply_within_limits(progression: Progression) -> None:
    for message in all_messages(progression):
        for reply in (
            message,
            views.with_share_button(message, "phase 3"),
            views.shared_message(views.with_share_button(message, "phase 3"), "U1"),
        ):
            assert_within_block_kit_limits(reply)
            assert len(reply["text"]) <= views.MAX_FALLBACK_TEXT
        assert views.with_share_button(message, "phase 3") != message, "room for the button"
    assert_within_block_kit_limits(views.home_view(progression))


def test_every_reply_for_the_fixture_fits() -> None:
    assert_every_reply_within_limits(PROGRESSION)


def test_every_reply_for_the_bundled_progression_fits(bundled: Progression) -> None:
    assert_every_reply_within_limits(bundled)


LONG = ("Plan & practise <routines> for *every* student, " * 60)[:2500]


def huge_progression(phases: int = 30, actions: int = 40) -> Progression:
    roles = tuple(Role(key=f"role{n}", name=f"Role {n} " + "x" * 300) for n in range(4))
    return Progression(
        source="www.example.org/" + "p" * 200,
        roles=roles,
        phases=tuple(
            Phase(
                number=p,
                title=f"Title {p} " + LONG,
                intro=LONG,
                aliases=(LONG,),
                actions=tuple(
                    Action(number=a, role=f"role{a % 4}", text=LONG, next_move=LONG)
                    for a in range(1, actions + 1)
                ),
            )
            for p in range(1, phases + 1)
        ),
    )


def test_a_huge_progression_stays_within_limits() -> None:
    progression = huge_progression(phases=30, actions=40)
    assert_every_reply_within_limits(progression)
    for message in all_messages(progression):
        assert len(message["text"]) <= 200, "fallback text is a line, not the whole reply"


def _left_out(message: dict[str, Any]) -> str:
    [line] = [text for text in texts(message) if text.startswith("…and ")]
    return line


def test_a_cut_phase_says_how_many_actions_are_left_and_where_to_see_them() -> None:
    progression = huge_progression(phases=2, actions=100)
    message = views.phase_message(progression, progression.phases[0])
    # Shown role by role, as the phase shows them: role0 owns 4, 8, ..., role1 owns 1, 5, ...
    order = [f"1.{n}" for role in range(4) for n in range(1, 101) if n % 4 == role]
    shown = refs(message)
    assert 0 < len(shown) < 100
    assert shown == order[: len(shown)]
    first_left = move(order[len(shown)], progression).action.role
    assert _left_out(message) == (
        f"…and {100 - len(shown)} more actions: try `/progression phase 1 {first_left}`"
    )


def test_a_cut_phase_of_one_role_points_at_the_first_action_left_out() -> None:
    progression = huge_progression(phases=1, actions=400)
    message = views.phase_message(progression, progression.phases[0], "role1")
    shown = refs(message)
    assert _left_out(message) == (
        f"…and {100 - len(shown)} more actions: try `/progression 1.{4 * len(shown) + 1}`"
    )


def test_a_cut_role_view_points_at_the_first_phase_left_out() -> None:
    progression = huge_progression(phases=30, actions=8)
    message = views.role_message(progression, "role1")
    order = [m.ref for m in progression.moves() if m.action.role == "role1"]
    shown = refs(message)
    assert shown == order[: len(shown)]
    phase_left = order[len(shown)].split(".")[0]
    assert _left_out(message) == (
        f"…and {len(order) - len(shown)} more actions: try `/progression phase {phase_left} role1`"
    )


def test_a_long_action_keeps_its_next_move_visible() -> None:
    progression = huge_progression(phases=1, actions=4)
    [shown] = [
        s
        for s in sections(views.phase_message(progression, progression.phases[0]))
        if s.startswith("*1.1*")
    ]
    assert "\n:arrow_right: *Next move:* Plan &amp; practise" in shown
    assert not re.search(r"&[a-z]{0,3}…", shown), "a cut never splits an escaped &amp;"


# Characters that matter to Slack: mrkdwn markers, escapes, link syntax, emoji, newlines.
_CHARS = st.sampled_from(list("ab Z_*~`&<>|@!#:\n✅é😀"))


@st.composite
def _texts(draw: st.DrawFn, longest: int = 3000) -> str:
    unit = draw(st.text(_CHARS, min_size=1, max_size=12))
    return ("x" + unit * draw(st.integers(0, longest)))[: draw(st.integers(1, longest))]


@st.composite
def progressions(draw: st.DrawFn) -> Progression:
    """Any progression a district could load: many phases, roles and actions, long texts."""
    rnd = draw(st.randoms(use_true_random=False))
    pool = draw(st.lists(_texts(), min_size=1, max_size=4))
    keys = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_-]{0,60}", fullmatch=True),
            min_size=1,
            max_size=12,
            unique=True,
        )
    )
    roles = tuple(Role(key=key, name=rnd.choice(pool)[:400]) for key in keys)
    phases = []
    number = 0
    for _ in range(draw(st.integers(1, 25))):
        number += draw(st.integers(1, 10_000))
        count = draw(st.integers(1, 60))
        phases.append(
            Phase(
                number=number,
                title=rnd.choice(pool),
                intro=rnd.choice([None, *pool]),
                actions=tuple(
                    Action(
                        number=n + 1,
                        role=rnd.choice(keys),
                        text=rnd.choice(pool),
                        next_move=rnd.choice(pool),
                    )
                    for n in range(count)
                ),
            )
        )
    return Progression(source=rnd.choice([None, *pool]), roles=roles, phases=tuple(phases))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(progressions())
def test_no_progression_makes_a_reply_pass_slacks_limits(progression: Progression) -> None:
    assert_every_reply_within_limits(progression)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(**fields: Any) -> dict[str, Any]:
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "a"}
    return {"type": "actions", "elements": [button | fields]}


@pytest.mark.parametrize(
    "blocks",
    [
        [_section("x")] * 51,
        [_section("x" * 3001)],
        [_section("")],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
        [{"type": "section", "text": "x"}],
        [_button(text={"type": "plain_text", "text": "x" * 76})],
        [_button(value="x" * 2001)],
        [_button(action_id="x" * 256)],
        [_section("x") | {"block_id": "b"}, _section("y") | {"block_id": "b"}],
        [{"type": "table"}],
    ],
)
def test_the_limits_checker_catches_what_slack_refuses(blocks: list[dict[str, Any]]) -> None:
    with pytest.raises(AssertionError):
        assert_within_block_kit_limits({"text": "x", "blocks": blocks})
