"""Managers' replies as plain dicts: dates in words, and Slack's limits with many channels."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.views import managing
from progression.calendar import WeeklySlot
from progression.load import load_progression
from store import Subscription
from tests.bot.blockkit import assert_within_block_kit_limits

SLOT = WeeklySlot(0, time(7, 30), "America/Chicago")


def _subscription(n: int, active: bool = True) -> Subscription:
    return Subscription(
        team_id="T1",
        channel_id=f"C{n:04d}",
        role="teacher",
        phases=(2, 3),
        subscribed_by="U1",
        subscribed_at="2026-11-01T00:00:00+00:00",
        first_week="2026-W45",
        active=active,
        inactive_reason=None if active else "not_in_channel",
    )


def test_dates_read_as_a_person_writes_them() -> None:
    moment = datetime(2026, 11, 30, 7, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert managing.when(moment) == "Monday 30 November 2026 at 07:30 (America/Chicago)"
    assert managing.when(datetime(2026, 11, 30, 8, tzinfo=UTC)).endswith("at 08:00 (UTC)")


@pytest.mark.parametrize("count", [0, 1, 12, 400])
def test_subscriptions_stay_within_slacks_limits(count: int) -> None:
    progression = load_progression()
    at = datetime(2026, 11, 30, 7, 30, tzinfo=ZoneInfo("America/Chicago"))
    lines = [
        managing.SubscriptionLine(
            _subscription(n, active=n % 7 != 3),
            "*2.7* a move",
            at,
            ("2026-W47",) if n % 11 == 5 else (),
        )
        for n in range(count)
    ]
    reply = managing.subscriptions_message(progression, lines, SLOT)
    assert_within_block_kit_limits(reply)
    text = str(reply["blocks"])
    if count > 40:
        assert "more channels" in text
    if count >= 4:
        assert "inactive: the app is not in the channel" in text
    if count >= 6:
        assert "may or may not have reached Slack" in text


def test_a_preview_is_the_nudge_under_a_line_saying_when() -> None:
    nudge = {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]}
    at = datetime(2026, 11, 30, 8, tzinfo=UTC)
    preview = managing.preview_message(nudge, at)
    assert preview["blocks"][1:] == nudge["blocks"]
    assert "Monday 30 November 2026 at 08:00 (UTC)" in str(preview["blocks"][0])
