"""Dates and counts as people read them: one style, whatever the zone or the number."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from progression import wording

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("moment", "long", "short"),
    [
        pytest.param(
            datetime(2026, 12, 14, 8, 0, tzinfo=CHICAGO),
            "Monday 14 December 2026 at 08:00 (America/Chicago)",
            "Mon 14 Dec 2026 at 08:00",
            id="a zone by its IANA name, not CST",
        ),
        pytest.param(
            datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
            "Monday 7 December 2026 at 08:00 (UTC)",
            "Mon 7 Dec 2026 at 08:00",
            id="a day without its leading zero",
        ),
        pytest.param(
            datetime(2027, 1, 1, 17, 5, tzinfo=ZoneInfo("Pacific/Auckland")),
            "Friday 1 January 2027 at 17:05 (Pacific/Auckland)",
            "Fri 1 Jan 2027 at 17:05",
            id="a 24-hour clock",
        ),
        pytest.param(
            datetime(2026, 3, 8, 3, 0, tzinfo=timezone(timedelta(hours=-5), "EST")),
            "Sunday 8 March 2026 at 03:00 (EST)",
            "Sun 8 Mar 2026 at 03:00",
            id="a fixed offset by its name",
        ),
    ],
)
def test_a_moment_is_written_one_way(moment: datetime, long: str, short: str) -> None:
    assert wording.when(moment) == long
    assert wording.short_when(moment) == short


def test_a_moment_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        wording.when(datetime(2026, 12, 14, 8, 0))


@pytest.mark.parametrize(
    ("value", "long", "short"),
    [
        (date(2026, 12, 21), "Monday 21 December 2026", "Mon 21 Dec 2026"),
        (date(2031, 1, 3), "Friday 3 January 2031", "Fri 3 Jan 2031"),
    ],
)
def test_a_day_is_written_one_way(value: date, long: str, short: str) -> None:
    assert wording.day(value) == long
    assert wording.short_day(value) == short


@pytest.mark.parametrize(
    ("week", "long", "short"),
    [
        ("2026-W48", "the week of Monday 23 November 2026", "week of Mon 23 Nov 2026"),
        ("2026-W01", "the week of Monday 29 December 2025", "week of Mon 29 Dec 2025"),
        ("2026-W53", "the week of Monday 28 December 2026", "week of Mon 28 Dec 2026"),
    ],
)
def test_a_week_is_named_by_its_monday(week: str, long: str, short: str) -> None:
    assert wording.week(week) == long
    assert wording.short_week(week) == short


@pytest.mark.parametrize(
    ("count", "noun", "plural", "said"),
    [
        (1, "check-off", None, "1 check-off"),
        (2, "check-off", None, "2 check-offs"),
        (0, "check-off", None, "0 check-offs"),
        (1, "match", "matches", "1 match"),
        (3, "match", "matches", "3 matches"),
    ],
)
def test_a_count_agrees_with_its_noun(count: int, noun: str, plural: str | None, said: str) -> None:
    assert wording.counted(count, noun, plural) == said
