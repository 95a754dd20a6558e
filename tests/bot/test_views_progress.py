"""Progress views as plain dicts: what a person would notice, within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot import views
from bot.views.progress import EMPTY, FULL, bar
from progression.load import load_progression
from progression.lookup import find_move
from progression.model import Move, Progression
from tests.bot.blockkit import assert_within_block_kit_limits


@pytest.fixture(scope="module")
def bundled() -> Progression:
    return load_progression()


def move(progression: Progression, ref: str) -> Move:
    phase, action = ref.split(".")
    found = find_move(progression, int(phase), int(action))
    assert found is not None
    return found


def text_of(message: dict[str, object]) -> str:
    return json.dumps(message, ensure_ascii=False)


TEACHER = views.ChannelProgress(
    "C1", "teacher", True, ((1, 3, 3), (2, 0, 3), (3, 0, 3), (4, 0, 3)), 3
)
STUDENT = views.ChannelProgress(
    "C2", "student", True, ((1, 1, 3), (2, 0, 3), (3, 0, 3), (4, 0, 3)), 1
)


def test_a_bar_fills_in_proportion_and_keeps_its_width() -> None:
    assert bar(0, 3) == EMPTY * 12 and bar(3, 3) == FULL * 12
    assert bar(1, 3) == FULL * 4 + EMPTY * 8
    assert bar(5, 3) == FULL * 12 and bar(0, 0) == EMPTY * 12


def test_progress_me_counts_the_moves_of_your_role_channels_as_bars(bundled: Progression) -> None:
    mine = views.MyProgress((TEACHER, STUDENT), done=4, moves=24, elsewhere=("C9",))
    message = views.my_progress_message(bundled, mine)
    assert_within_block_kit_limits(message)
    shown = text_of(message)
    assert "*4 of 24* moves of your role channels (17%)" in shown
    assert "<#C1> · *Teacher* · 3 of 12 (25%)" in shown
    assert "<#C2> · *Student* · 1 of 12 (8%)" in shown
    assert f"Phase 1  {FULL * 12}  3 of 3" in shown and f"Phase 2  {EMPTY * 12}  0 of 3" in shown
    assert "of 48" not in shown and "Also checked off in <#C9>" in shown
    assert message["text"] == "Your progress: 4 of 24 moves checked off"


def test_progress_me_without_a_role_channel_says_how(bundled: Progression) -> None:
    message = views.my_progress_message(bundled, views.MyProgress((), 0, 0))
    assert "no role channel yet" in text_of(message) and "React" in text_of(message)


def test_progress_me_in_many_role_channels_stays_within_limits(bundled: Progression) -> None:
    channels = tuple(
        views.ChannelProgress(f"C{n:03d}", "teacher", True, TEACHER.phases, 3) for n in range(60)
    )
    message = views.my_progress_message(bundled, views.MyProgress(channels, 3, 12))
    assert_within_block_kit_limits(message)
    assert "…and 40 more role channels" in text_of(message)


def test_channel_progress_lists_posted_moves_counts_and_next(bundled: Progression) -> None:
    posted = [
        views.PostedMove("2026-W48", move(bundled, "1.7"), 3),
        views.PostedMove("2026-W49", move(bundled, "1.8"), 0, confirmed=False),
    ]
    at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    message = views.channel_progress_message(
        bundled, "teacher", posted, move(bundled, "1.9"), at, celebrated=False
    )
    assert_within_block_kit_limits(message)
    shown = text_of(message)
    assert "Week of Mon 23 Nov 2026 · *1.7*" in shown and "✅ 3 done" in shown
    assert "Week of Mon 30 Nov 2026 · *1.8*" in shown and "nobody yet" in shown
    assert "unconfirmed" in shown
    assert "*Next* on Monday 7 December 2026 at 08:00 (UTC): *1.9*" in shown


def test_channel_progress_after_everything(bundled: Progression) -> None:
    message = views.channel_progress_message(bundled, "teacher", [], None, None, True)
    assert "No moves posted" in text_of(message) and "Every move is checked off" in text_of(message)


def test_hundreds_of_posted_moves_stay_within_limits(bundled: Progression) -> None:
    posted = [
        views.PostedMove(f"{2000 + n // 52}-W{n % 52 + 1:02d}", move(bundled, "3.8"), n)
        for n in range(400)
    ]
    message = views.channel_progress_message(bundled, "teacher", posted, None, None, False)
    assert_within_block_kit_limits(message)


def test_workspace_progress_by_channel_and_phase(bundled: Progression) -> None:
    rows = [
        views.ChannelProgress("C1", "teacher", True, ((1, 2, 3), (2, 0, 3)), 14),
        views.ChannelProgress("C2", "leader", False, ((1, 0, 3),), 0),
    ]
    message = views.workspace_progress_message(bundled, rows)
    assert_within_block_kit_limits(message)
    shown = text_of(message)
    assert "<#C1> · *Teacher* · P1 2/3 · P2 0/3 · 14 check-offs" in shown
    assert "<#C2>" in shown and "inactive" in shown


def test_one_of_anything_is_said_in_the_singular(bundled: Progression) -> None:
    rows = [views.ChannelProgress("C1", "teacher", True, ((1, 1, 3),), 1)]
    workspace = views.workspace_progress_message(bundled, rows)
    assert "P1 1/3 · 1 check-off" in text_of(workspace) and "1 check-offs" not in text_of(workspace)
    assert workspace["text"] == "Progress in 1 role channel"
    one = views.ChannelProgress("C1", "systems", True, ((1, 1, 1),), 1)
    mine = views.my_progress_message(bundled, views.MyProgress((one,), 1, 1))
    assert mine["text"] == "Your progress: 1 of 1 move checked off"
    assert "(1 move)" in text_of(views.celebration_message(bundled, "teacher", 1))


def test_a_district_of_thousands_of_channels_stays_within_limits(bundled: Progression) -> None:
    rows = [
        views.ChannelProgress(f"C{n:05d}", "teacher", True, ((1, 1, 3), (2, 0, 3)), n)
        for n in range(3000)
    ]
    message = views.workspace_progress_message(bundled, rows)
    assert_within_block_kit_limits(message)
    assert "more sections" in text_of(message)


def test_home_is_personal_with_buttons(bundled: Progression) -> None:
    moves = [
        views.HomeMove(
            "C1", "teacher", move(bundled, "1.7"), "1.000100", "2026-W48", True, False, 2
        ),
        views.HomeMove(
            "C2", "leader", move(bundled, "1.4"), "1.000200", "2026-W47", False, True, 5
        ),
        views.HomeMove(
            "C3", "leader", move(bundled, "1.4"), "1.000300", "2026-W47", False, True, 1, True
        ),
    ]
    mine = views.MyProgress((TEACHER,), done=3, moves=12)
    view = views.home_view(bundled, views.home_personal_blocks(bundled, mine, moves))
    assert view["type"] == "home"
    assert_within_block_kit_limits(view)
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (views.MARK_DONE_ACTION, "C1|1.000100"),
        (views.UNDO_ACTION, "C2|1.000200"),
    ]
    shown = text_of(view)
    assert "*3 of 12* moves" in shown and "This week in <#C1>" in shown
    assert "Latest (week of Mon 16 Nov 2026)" in shown
    # Checked off with a reaction: no Undo here, it would not take the reaction back.
    assert "<#C3>" in shown and "with a reaction (remove it on the nudge to undo)" in shown
    assert "/progression" in shown  # what the app can do is still there


def test_home_without_channels_says_how_to_get_them(bundled: Progression) -> None:
    nothing = views.MyProgress((), 0, 0)
    view = views.home_view(bundled, views.home_personal_blocks(bundled, nothing, []))
    assert_within_block_kit_limits(view)
    assert "the role channels you are a member of" in text_of(view)
