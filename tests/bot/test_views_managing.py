"""Managers' replies as plain dicts: dates in words, and Slack's limits with many channels."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.views import managing
from progression import wording
from progression.calendar import SchoolBreak, WeeklySlot
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
    assert wording.when(moment) == "Monday 30 November 2026 at 07:30 (America/Chicago)"
    assert wording.when(datetime(2026, 11, 30, 8, tzinfo=UTC)).endswith("at 08:00 (UTC)")


def test_breaks_and_unconfirmed_weeks_are_dates_in_words_and_counts_agree() -> None:
    progression = load_progression()
    christmas = SchoolBreak(date(2026, 12, 21), date(2027, 1, 1))
    listed = str(managing.breaks_message([christmas]))
    assert "*1 school break*" in listed and "(s)" not in listed
    assert "Monday 21 December 2026 to Friday 1 January 2027" in listed
    assert "`/progression unskip 2026-12-21`" in listed, "how to remove it, as it is typed"
    added = str(managing.break_added_message(christmas, [], None, new=True))
    assert "Recorded the break Monday 21 December 2026 to Friday 1 January 2027." in added
    line = managing.SubscriptionLine(_subscription(1), "*2.7* a move", None, ("2026-W47",))
    shown = str(managing.subscriptions_message(progression, [line], SLOT))
    assert "*1 subscribed channel*" in shown and "(s)" not in shown
    assert "the nudge for the week of Monday 16 November 2026 may or may not" in shown


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
