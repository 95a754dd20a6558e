"""Progress views as plain dicts: what a person would notice, within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot import views
from bot.views.progress import DONE, NOT_DONE, progress_grid
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


def test_the_grid_is_phases_by_actions(bundled: Progression) -> None:
    grid = progress_grid(bundled, {"1.1", "3.8", "4.12"})
    rows = grid.strip("`").splitlines()
    assert rows[0].split() == [str(n) for n in range(1, 13)]
    cells = {row.split()[0]: row.split()[1:13] for row in rows[1:]}
    assert list(cells) == ["P1", "P2", "P3", "P4"]
    assert cells["P1"][0] == DONE and cells["P1"][1] == NOT_DONE
    assert cells["P3"][7] == DONE and cells["P4"][11] == DONE
    assert sum(row.count(DONE) for row in cells.values()) == 3
    assert rows[3].endswith("1/12")


def test_progress_me_shows_the_total_and_where(bundled: Progression) -> None:
    message = views.my_progress_message(bundled, {"1.7", "1.8"}, ["C1", "C2"])
    assert_within_block_kit_limits(message)
    shown = text_of(message)
    assert "2 of 48" in shown and "<#C1>" in shown and "<#C2>" in shown
    assert "7-9 Teacher" in shown


def test_progress_me_with_nothing_says_how(bundled: Progression) -> None:
    message = views.my_progress_message(bundled, set(), [])
    assert "0 of 48" in text_of(message) and "React" in text_of(message)


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
    mine = views.my_progress_message(bundled, {"1.7"}, ["C1"])
    assert mine["text"] == "Your progress: 1 move checked off"
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
    view = views.home_view(bundled, views.home_personal_blocks(bundled, {"1.4"}, moves))
    assert view["type"] == "home"
    assert_within_block_kit_limits(view)
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (views.MARK_DONE_ACTION, "C1|1.000100"),
        (views.UNDO_ACTION, "C2|1.000200"),
    ]
    shown = text_of(view)
    assert "1 of 48" in shown and "This week in <#C1>" in shown
    assert "Latest (week of Mon 16 Nov 2026)" in shown
    # Checked off with a reaction: no Undo here, it would not take the reaction back.
    assert "<#C3>" in shown and "with a reaction (remove it on the nudge to undo)" in shown
    assert "/progression" in shown  # what the app can do is still there


def test_home_without_channels_says_how_to_get_them(bundled: Progression) -> None:
    view = views.home_view(bundled, views.home_personal_blocks(bundled, set(), []))
    assert_within_block_kit_limits(view)
    assert "the role channels you are a member of" in text_of(view)
