"""Every message and view the app can produce renders in the local workspace: no placeholder,
every button a named button, every mention a name, every shortcode an emoji, no stray markers.

The payloads come from the app's own view functions over the bundled progression, so a new
view or a new Block Kit feature in one of them shows up here before it shows up on the page.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import views
from bot.grammar import CommandError, parse_command
from bot.settings import Settings
from bot.slack.managers import who_can_manage
from bot.views import campuses, managing, waiting
from bot.views.digest import digest_message
from progression.calendar import SchoolBreak, WeeklySlot
from progression.campus import DISTRICT
from progression.digest import ChannelStanding, Posted, build_digest
from progression.load import load_progression
from progression.model import Move, Progression
from progression.search import SearchHit, search, suggestions
from scheduler.fanout import GONE, gone_message
from store import Subscription
from tests.workspace.blockkit_html import Element, parse, visible
from workspace import block_rules
from workspace.blockkit import Names, render_message, render_view

PROGRESSION = load_progression()
MOVES = PROGRESSION.moves()
CHICAGO = ZoneInfo("America/Chicago")
NEXT_AT = datetime(2026, 12, 7, 8, 0, tzinfo=CHICAGO)
SLOT = WeeklySlot(0, time(8, 0), "America/Chicago")
PEOPLE = {
    "U01ADMIN": "Dana Admin",
    "U02PRINCIPAL": "Pat Principal",
    "U03TEACHER": "Terry Teacher",
    "U04TEACHER": "Tomás Teacher",
    "U05COACH": "Casey Coach",
}
CHANNELS = {
    "C01TEACHERS": "lincoln-teachers",
    "C02LEADERS": "lincoln-leaders",
    "C03PLANNING": "district-planning",
    "C04STUDENTS": "lincoln-students",
    "C05GENERAL": "general",
}
ROLE_CHANNELS = {
    "teacher": "C01TEACHERS",
    "leader": "C02LEADERS",
    "systems": "C03PLANNING",
    "student": "C04STUDENTS",
}
NAMES = Names(users=PEOPLE, channels=CHANNELS)
MINE = views.MyProgress(
    (
        views.ChannelProgress("C01TEACHERS", "teacher", True, ((2, 3, 3), (3, 1, 3)), 4),
        views.ChannelProgress(
            "C04STUDENTS", "student", True, ((1, 0, 3), (2, 1, 3), (3, 0, 3), (4, 0, 3)), 1
        ),
    ),
    done=5,
    moves=18,
    elsewhere=("C05GENERAL",),
)
# What people type that the grammar refuses, each with its own explanation.
BAD_INPUTS = (
    "phase 9",
    "phase 3 action 40",
    "3.99",
    "9.1",
    "search",
    "role wizard",
    "phase 3 wizard",
    "progress everyone",
    "subscribe wizard",
    "subscribe teacher phase 9",
    "schedule monday",
    "schedule someday 07:30",
    "schedule monday 25:00",
    "schedule monday 07:30 Mars/Olympus",
    "skip 2026-13-40 2027-01-01",
    "skip 2027-01-05 2027-01-01",
    "wizard",
    "<!channel> & <script>",
    "`rm -rf` *bold* _it_",
    "campus *Lincoln*",
    "subscribe teacher campus",
    "digest friday 14:00 Mars/Olympus",
    "remind thursday 10:00",
)


def refusal_of(text: str) -> CommandError:
    try:
        parse_command(text, PROGRESSION)
    except CommandError as error:
        return error
    raise AssertionError(f"the grammar accepts {text!r}")


def move(ref: str) -> Move:
    return next(m for m in MOVES if m.ref == ref)


def subscription(
    role: str, active: bool = True, reason: str | None = None, campus: str | None = "Lincoln"
) -> Subscription:
    return Subscription(
        team_id="T1",
        channel_id=ROLE_CHANNELS[role],
        role=role,
        phases=(2, 3) if role == "teacher" else (),
        subscribed_by="U01ADMIN",
        subscribed_at="2026-11-01T00:00:00+00:00",
        first_week="2026-W45",
        active=active,
        inactive_reason=reason,
        campus=campus,
        remind_weekday=3 if role == "teacher" else None,
    )


def lookups(progression: Progression) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "help", views.help_message(progression)
    for phase in progression.phases:
        yield f"phase {phase.number}", views.phase_message(progression, phase)
        for role in progression.roles:
            yield (
                f"phase {phase.number} {role.key}",
                views.phase_message(progression, phase, role.key),
            )
    for role in progression.roles:
        yield f"role {role.key}", views.role_message(progression, role.key)
    for m in MOVES:
        yield f"action {m.ref}", views.action_message(progression, m)
    checked = list(PEOPLE)
    yield "action checked", views.action_message(progression, move("3.8"), checked, len(checked))
    yield "action many checked", views.action_message(progression, move("3.8"), checked, 40)
    yield "action nobody", views.action_message(progression, move("3.8"), [], 0)
    for query in ("rostering", "asynchronous student engagement", "feedback teacher", "lms"):
        hits = search(progression, query)
        assert hits, query
        yield f"search {query}", views.search_message(progression, query, hits, [])
    phase_hit = [SearchHit(2.0, progression.phases[2], None, "alias")]
    yield "search alias", views.search_message(progression, "asynchronous", phase_hit, [])
    for query in ("rostring", "zzzz", "<!here> & `x`"):
        close = suggestions(progression, query)
        yield f"no results {query}", views.search_message(progression, query, [], close)
    yield "no results suggested", views.search_message(progression, "x", [], ["rostering", "lms"])


def errors() -> Iterator[tuple[str, dict[str, Any]]]:
    for text in BAD_INPUTS:
        yield f"error {text}", views.error_message(refusal_of(text))
    settings = Settings(PROGRESSION_MANAGERS="U01ADMIN", _env_file=None)  # type: ignore[call-arg]
    refusal = CommandError("Only managers can do that.", who_can_manage(settings))
    yield "error not a manager", views.error_message(refusal)
    for code in managing.REASONS:
        cannot = CommandError(managing.cannot_post_message("C05GENERAL", code))
        yield f"error cannot post {code}", views.error_message(cannot)
    yield "internal error", views.internal_error_message()
    yield "busy", views.busy_message()
    for code in GONE:
        yield f"gone {code}", gone_message(subscription("teacher"), code)


def nudges() -> Iterator[tuple[str, dict[str, Any]]]:
    for m in MOVES:
        yield f"nudge {m.ref}", views.nudge_message(PROGRESSION, m)
    yield "nudge counted", views.nudge_message(PROGRESSION, move("3.8"), done=12)
    for role in PROGRESSION.roles:
        yield f"celebration {role.key}", views.celebration_message(PROGRESSION, role.key, 12)
    yield "done line", {"text": views.done_line(3)}
    yield "reminder", views.reminder_message(PROGRESSION, move("3.8"), 4, 12)


WEEKS = ("2026-W47", "2026-W48", "2026-W49")


def standings() -> tuple[list[ChannelStanding], list[ChannelStanding]]:
    """Lincoln's role channels, and the district's (Lincoln's, Adams's and the planners')."""
    weeks = WEEKS
    lincoln = [
        ChannelStanding(
            ROLE_CHANNELS[role], role, "Lincoln", 12, tuple(Posted(w, "1.7", done) for w in weeks)
        )
        for role, done in (("teacher", 7), ("leader", 0), ("student", 3))
    ]
    gone = ChannelStanding("C05GENERAL", "teacher", "Adams", 4, (), inactive="is_archived")
    planning = ChannelStanding(
        ROLE_CHANNELS["systems"], "systems", DISTRICT, 5, (Posted("2026-W49", "1.1", 5),)
    )
    return lincoln, [*lincoln, gone, planning]


def digests() -> Iterator[tuple[str, dict[str, Any]]]:
    weeks = WEEKS
    lincoln, district = standings()
    yield (
        "digest campus",
        digest_message(PROGRESSION, build_digest("Lincoln", "2026-W49", lincoln, weeks)),
    )
    yield (
        "digest district",
        digest_message(PROGRESSION, build_digest(DISTRICT, "2026-W49", district, weeks)),
    )
    for scope, members in (("Lincoln", lincoln), (DISTRICT, district)):
        digest = build_digest(scope, "2026-W49", members, weeks)
        yield f"progress campus {scope}", campuses.campus_progress_message(PROGRESSION, digest)


def campus_replies() -> Iterator[tuple[str, dict[str, Any]]]:
    teachers, leaders = ROLE_CHANNELS["teacher"], ROLE_CHANNELS["leader"]
    yield "campus", campuses.campus_message(teachers, "Lincoln", [leaders])
    yield "campus alone", campuses.campus_message(teachers, "A&M <Consolidated>", [])
    renamed = campuses.campus_renamed_message(teachers, "Lincoln", "Lincoln Elementary", [leaders])
    yield "campus renamed", renamed
    yield "campus same", campuses.campus_renamed_message(teachers, "Lincoln", "Lincoln", [])
    lincoln = [subscription(role) for role in ("leader", "teacher", "student")]
    planning = subscription("systems", campus=None)
    gone = subscription("student", False, "is_archived", campus="Adams")
    listed = [("Adams", [gone]), ("Lincoln", lincoln), (DISTRICT, [planning])]
    yield "campuses", campuses.campuses_message(PROGRESSION, listed)
    yield "campuses none", campuses.campuses_message(PROGRESSION, [])


def progress() -> Iterator[tuple[str, dict[str, Any]]]:
    posted = [
        views.PostedMove("2026-W46", move("1.7"), 3),
        views.PostedMove("2026-W47", move("1.8"), 0),
        views.PostedMove("2026-W48", move("1.9"), 1, confirmed=False),
    ]
    yield (
        "progress",
        views.channel_progress_message(
            PROGRESSION, "teacher", posted, move("2.7"), NEXT_AT, celebrated=False
        ),
    )
    yield (
        "progress nothing posted",
        views.channel_progress_message(
            PROGRESSION, "teacher", [], move("1.7"), None, celebrated=False
        ),
    )
    yield (
        "progress celebrated",
        views.channel_progress_message(PROGRESSION, "teacher", posted, None, None, celebrated=True),
    )
    yield (
        "progress nothing more",
        views.channel_progress_message(
            PROGRESSION, "teacher", posted, None, None, celebrated=False
        ),
    )
    yield "progress me", views.my_progress_message(PROGRESSION, MINE)
    yield "progress me nothing", views.my_progress_message(PROGRESSION, views.MyProgress((), 0, 0))
    rows = [
        views.ChannelProgress(channel, role, role != "student", ((1, 2, 3), (2, 0, 3)), 14)
        for role, channel in ROLE_CHANNELS.items()
    ]
    yield "progress all", views.workspace_progress_message(PROGRESSION, rows)
    yield "progress all empty", views.workspace_progress_message(PROGRESSION, [])


def managing_replies() -> Iterator[tuple[str, dict[str, Any]]]:
    teacher = subscription("teacher")
    yield "subscribed", managing.subscribed_message(PROGRESSION, teacher, SLOT, NEXT_AT)
    proposed = managing.subscribed_message(PROGRESSION, teacher, SLOT, NEXT_AT, proposed=True)
    yield "subscribed proposed", proposed
    for changed in (True, False):
        yield f"digest {changed}", managing.digest_schedule_message(SLOT, NEXT_AT, changed, 3)
        yield f"digest off {changed}", managing.digest_schedule_message(None, None, changed, 3)
        yield (
            f"remind {changed}",
            managing.reminder_setting_message(ROLE_CHANNELS["teacher"], 3, SLOT, changed),
        )
        yield (
            f"remind none {changed}",
            managing.reminder_setting_message(ROLE_CHANNELS["teacher"], None, SLOT, changed),
        )
    yield "digest nobody", managing.digest_schedule_message(SLOT, None, False, 0)
    yield "announcement", managing.channel_announcement(PROGRESSION, "teacher", NEXT_AT)
    yield "unsubscribed", managing.unsubscribed_message(PROGRESSION, teacher)
    yield "unsubscribed nothing", managing.unsubscribed_message(PROGRESSION, None)
    lines = [
        managing.SubscriptionLine(teacher, managing.move_words(PROGRESSION, move("2.7")), NEXT_AT),
        managing.SubscriptionLine(subscription("leader"), "*2.4* a move", None, ("2026-W47",)),
        managing.SubscriptionLine(subscription("systems", False, "not_in_channel"), "", None),
        managing.SubscriptionLine(subscription("student", False, "is_archived"), "", None),
    ]
    yield "subscriptions", managing.subscriptions_message(PROGRESSION, lines, SLOT)
    yield "subscriptions none", managing.subscriptions_message(PROGRESSION, [], SLOT)
    for changed in (True, False):
        yield f"schedule {changed}", managing.schedule_message(SLOT, NEXT_AT, changed)
    winter = SchoolBreak(date(2026, 12, 21), date(2027, 1, 1))
    effects = [
        "• 2026-W52: no nudge, and the sequence waits for the next week.",
        "• 2027-W01: Monday 2026-12-28 is in the break, so the nudge goes out on "
        "Tuesday 29 December 2026 at 08:00 (America/Chicago).",
    ]
    for new in (True, False):
        yield f"skip {new}", managing.break_added_message(winter, effects, NEXT_AT, new)
    yield (
        "skips",
        managing.breaks_message([winter, SchoolBreak(date(2027, 3, 15), date(2027, 3, 19))]),
    )
    yield "skips none", managing.breaks_message([])
    yield "unskip", managing.breaks_removed_message([winter], NEXT_AT)
    yield "unskip nothing", managing.breaks_removed_message([], NEXT_AT)
    yield "schedule, no nudge ahead", managing.schedule_message(SLOT, None, False)
    nudge = views.nudge_message(PROGRESSION, move("2.7"))
    yield "preview", managing.preview_message(nudge, NEXT_AT)
    celebration = views.celebration_message(PROGRESSION, "teacher", 12)
    yield "preview celebration", managing.preview_message(celebration, NEXT_AT)
    yield "nothing ahead", managing.nothing_ahead_message("Nothing ahead: every move is done.")
    yield "not subscribed", managing.not_subscribed_message("C05GENERAL")
    coming = [(move("2.8"), NEXT_AT), (move("2.9"), None), (None, None)]
    yield "next", managing.next_message(PROGRESSION, move("2.7"), coming)
    yield "next nothing", managing.next_message(PROGRESSION, None, [])


def waiting_replies() -> Iterator[tuple[str, dict[str, Any]]]:
    """While Slack is asked, and when Slack says no after the answer."""
    yield "subscribing", waiting.subscribing_message("C01TEACHERS")
    yield "checking manager", waiting.checking_manager_message()
    yield "finding channels", waiting.finding_channels_message()
    yield "busy", waiting.busy_message()
    yield "slack failed", waiting.slack_failed_message()
    yield "share failed", waiting.share_failed_message("phase 3 `x` <!here>")
    yield "home not refreshed", waiting.home_not_refreshed_message()
    yield "home not saved", waiting.home_not_saved_message()


def replies() -> Iterator[tuple[str, dict[str, Any]]]:
    """What the listeners send: private replies with a share button, and shared copies."""
    for name, message in [*lookups(PROGRESSION), *progress()]:
        private = views.with_share_button(message, name)
        yield f"{name} / private", {"response_type": "ephemeral", **private}
        shared = views.shared_message(private, "U03TEACHER")
        yield f"{name} / shared", {"response_type": "in_channel", **shared}


def home_views() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "home bare", views.home_view(PROGRESSION)
    nothing = views.MyProgress((), 0, 0)
    yield (
        "home no channels",
        views.home_view(PROGRESSION, views.home_personal_blocks(PROGRESSION, nothing, [])),
    )
    moves = [
        views.HomeMove("C01TEACHERS", "teacher", move("2.7"), "1.0001", "2026-W49", True, False, 2),
        views.HomeMove("C02LEADERS", "leader", move("2.4"), "1.0002", "2026-W48", False, True, 5),
        views.HomeMove("C03PLANNING", "systems", move("2.1"), "1.0003", "2026-W49", True, True, 0),
    ]
    personal = views.home_personal_blocks(PROGRESSION, MINE, moves)
    yield "home", views.home_view(PROGRESSION, personal)
    lincoln, district = standings()
    for scope, members in (("Lincoln", lincoln), (DISTRICT, district)):
        led = [build_digest(scope, "2026-W49", members, WEEKS)]
        blocks = campuses.home_campus_blocks(PROGRESSION, led)
        yield f"home leading {scope}", views.home_view(PROGRESSION, [*blocks, *personal])
    many = [build_digest(f"Campus {n}", "2026-W49", lincoln, WEEKS) for n in range(7)]
    blocks = campuses.home_campus_blocks(PROGRESSION, many)
    yield "home leading many", views.home_view(PROGRESSION, [*blocks, *personal])


def built_with_record(
    build: Callable[[], dict[str, dict[str, Any]]],
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """What `build` returns, and the names of the functions of `bot/views/` it called."""
    called: set[str] = set()
    views_dir = str(Path(views.__file__).parent)

    def record(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(views_dir):
            called.add(frame.f_code.co_name)

    sys.setprofile(record)
    try:
        return build(), called
    finally:
        sys.setprofile(None)


MESSAGES, CALLED = built_with_record(
    lambda: dict(
        [
            *lookups(PROGRESSION),
            *errors(),
            *nudges(),
            *digests(),
            *campus_replies(),
            *progress(),
            *managing_replies(),
            *waiting_replies(),
            *replies(),
        ]
    )
)
VIEWS, CALLED_FOR_VIEWS = built_with_record(lambda: dict(home_views()))


def sent_buttons(payload: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """Each button the app sent, with the block_id of its block (None when it sent none)."""
    found: list[tuple[str | None, dict[str, Any]]] = []
    for block in payload["blocks"]:
        elements = [block.get("accessory") or {}, *block.get("elements", [])]
        found.extend(
            (block.get("block_id"), element)
            for element in elements
            if element.get("type") == "button"
        )
    return found


def assert_renders_completely(payload: dict[str, Any], markup: str) -> None:
    root = parse(markup)  # well-formed: every tag closed in order
    unsupported = root.find_all(css_class="bk-unsupported")
    assert not unsupported, [e.text for e in unsupported]
    assert "Unsupported" not in visible(markup)

    buttons = [e for e in root.iter() if "bk-button" in e.classes]
    assert all(e.tag == "button" and e.attrs.get("type") == "button" for e in buttons)
    sent = sent_buttons(payload) if "blocks" in payload else []
    assert len(buttons) == len(sent), "a button was dropped or invented"
    for shown, (block_id, button) in zip(buttons, sent, strict=True):
        assert shown.accessible_name() == button["text"]["text"]
        assert shown.attrs["data-action-id"] == button["action_id"]
        assert shown.attrs.get("data-value") == button.get("value")
        if block_id is not None:
            assert shown.attrs["data-block-id"] == block_id
        assert shown.attrs["data-block-id"]

    assert_reads_as_slack_shows_it(root)


def assert_reads_as_slack_shows_it(root: Element) -> None:
    for mention in root.find_all(css_class="bk-mention"):
        user, channel = mention.attrs.get("data-user-id"), mention.attrs.get("data-channel-id")
        if user:
            assert mention.text == "@" + PEOPLE[user]
        if channel:
            assert mention.text == "#" + CHANNELS[channel]
    # Outside code, nothing of mrkdwn's syntax is left for a person to read.
    prose = _without_code(root)
    assert not re.search(r":[a-z0-9_+-]+:", prose), "a shortcode left as text"
    assert not re.search(r"<[@#!]|&lt;|&gt;|&amp;", prose), "Slack syntax or an entity as text"
    assert not re.search(r"(?<![\w*])\*\S[^*\n]*\S\*(?![\w*])", prose), "bold left as text"
    assert not re.search(r"(?<!\w)_\S[^_\n]*\S_(?!\w)", prose), "italic left as text"


def _without_code(element: Element) -> str:
    return "".join(
        child
        if isinstance(child, str)
        else ("" if child.tag in ("code", "pre") else _without_code(child))
        for child in element.children
    )


def view_functions() -> Iterator[str]:
    """Every public function of `bot/views/` that builds a message, a view or its blocks."""
    for info in pkgutil.iter_modules(views.__path__):
        module = importlib.import_module(f"bot.views.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            returns = str(function.__annotations__.get("return", ""))
            if function.__module__ == module.__name__ and not name.startswith("_"):
                if returns in ("Message", "dict[str, Any]") or name.endswith("_blocks"):
                    yield f"{info.name}.{name}"


def test_every_view_function_is_rendered_here() -> None:
    """A new view in `bot/views/` needs a case above before the page can be trusted with it."""
    expected = {name.split(".")[1] for name in view_functions()} - {"message"}  # the builder
    assert len(expected) > 25
    missing = expected - CALLED - CALLED_FOR_VIEWS
    assert not missing, f"never rendered: {sorted(missing)}"


@pytest.mark.parametrize("name", list(MESSAGES))
def test_every_message_renders_completely(name: str) -> None:
    message = MESSAGES[name]
    assert_renders_completely(message, render_message(message, NAMES))


@pytest.mark.parametrize("name", list(VIEWS))
def test_every_home_view_renders_completely(name: str) -> None:
    view = VIEWS[name]
    assert_renders_completely(view, render_view(view, NAMES))


@pytest.mark.parametrize("name", list(MESSAGES))
def test_every_message_passes_slacks_block_rules(name: str) -> None:
    assert block_rules.refusal(MESSAGES[name].get("blocks")) is None


@pytest.mark.parametrize("name", list(VIEWS))
def test_every_home_view_passes_slacks_block_rules(name: str) -> None:
    assert block_rules.refusal(VIEWS[name].get("blocks"), view=True) is None


def test_the_home_buttons_carry_what_block_actions_needs() -> None:
    root = parse(render_view(VIEWS["home"], NAMES))
    buttons = root.find_all("button")
    assert [
        (b.accessible_name(), b.attrs["data-action-id"], b.attrs["data-value"]) for b in buttons
    ] == [
        ("Mark done", views.MARK_DONE_ACTION, "C01TEACHERS|1.0001"),
        ("Undo", views.UNDO_ACTION, "C02LEADERS|1.0002"),
        ("Undo", views.UNDO_ACTION, "C03PLANNING|1.0003"),
    ]
    assert "bk-button-primary" in buttons[0].classes


def test_the_share_button_names_its_block() -> None:
    root = parse(render_message(MESSAGES["phase 3 / private"], NAMES))
    [button] = root.find_all("button")
    assert button.accessible_name() == "Share in channel"
    assert button.attrs["data-block-id"] == "share"
    assert button.attrs["data-action-id"] == views.SHARE_ACTION
    assert button.attrs["data-value"] == "phase 3"


def test_a_nudge_reads_as_in_slack() -> None:
    root = parse(render_message(MESSAGES["nudge counted"], NAMES))
    text = root.text
    assert "This week's next move · Teacher · Phase 3 · Engagement in Independent Learning" in text
    assert "React with ✅ when you have done it" in text
    assert "✅ 12 done" in text
    assert [e.text for e in root.find_all("strong")][:2] == ["This week's next move", "3.8"]
    assert "/progression 3.8" in [e.text for e in root.find_all("code")]


def test_your_progress_is_a_bar_per_role_channel_and_phase() -> None:
    root = parse(render_message(MESSAGES["progress me"], NAMES))
    teachers, students = root.find_all("pre")
    assert teachers.text.splitlines() == [
        "Phase 2  ████████████  3 of 3",
        "Phase 3  ████░░░░░░░░  1 of 3",
    ]
    assert len(students.text.splitlines()) == 4
    assert "5 of 18 moves of your role channels (28%)" in root.text
    assert "#lincoln-teachers · Teacher · 4 of 6 (67%)" in root.text


def test_headers_are_headings() -> None:
    root = parse(render_message(MESSAGES["phase 3"], NAMES))
    assert [h.text for h in root.find_all("h3")] == ["Phase 3 · Engagement in Independent Learning"]
    home = parse(render_view(VIEWS["home"], NAMES))
    assert [h.text for h in home.find_all("h2")] == [PROGRESSION.name]
