"""Weeks, weekly slots and school breaks: when a week's nudge goes out (SPEC §4).

Weeks are ISO weeks ("2026-W48") in the slot's timezone. A slot keeps its wall-clock time across
daylight-saving changes. A slot day inside a school break moves to the first school day (Monday
to Friday) of the same week after the break; a week with no school day left, or whose whole
Monday-to-Friday school week is a break, has no slot at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOOKAHEAD_WEEKS = 60
# A break longer than a school year, or outside the years around today, is a typo
# (2037 for 2027): refused before it is stored, so it never hides a workspace's nudges.
MAX_BREAK_DAYS = 366
BREAK_YEARS_BEFORE, BREAK_YEARS_AFTER = 1, 5
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


class CalendarError(ValueError):
    """A date the calendar cannot compute (no nudge ahead, a date past the calendar's end);
    the message is a sentence for the person who can fix it."""


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown timezone {name!r}: expected an IANA name") from error


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int  # 0 = Monday ... 6 = Sunday
    at: time  # local wall-clock time, naive
    timezone: str  # IANA name, e.g. "America/Chicago"

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.at.tzinfo is not None:
            raise ValueError(f"slot time must be a local wall-clock time, got {self.at!r}")
        _zone(self.timezone)


@dataclass(frozen=True)
class SchoolBreak:
    start: date  # first day off (inclusive)
    end: date  # last day off (inclusive)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a break cannot end ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def check_break(school_break: SchoolBreak, today: date) -> None:
    """Refuse a break that cannot be meant: longer than a school year, or far from `today`."""
    days = (school_break.end - school_break.start).days + 1
    span = f"{school_break.start.isoformat()} to {school_break.end.isoformat()}"
    first, last = today.year - BREAK_YEARS_BEFORE, today.year + BREAK_YEARS_AFTER
    if days > MAX_BREAK_DAYS:
        raise CalendarError(
            f"A break from {span} is {days} days long, and a break is at most a school year "
            f"({MAX_BREAK_DAYS} days): is a year mistyped?"
        )
    if not (first <= school_break.start.year and school_break.end.year <= last):
        raise CalendarError(
            f"A break from {span} is outside the school years a break can be in "
            f"({first} to {last}): is a year mistyped?"
        )


def week_of(moment: datetime, timezone: str) -> str:
    """The ISO week containing `moment` in `timezone`: "2026-W48" (ISO year, zero-padded)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"need an aware datetime, got naive {moment.isoformat()}")
    return _week_key(moment.astimezone(_zone(timezone)).date())


def week_start(week: str) -> date:
    """The Monday of an ISO week such as "2026-W48"."""
    match = _WEEK.fullmatch(week)
    if match is None:
        raise ValueError(f"not an ISO week: {week!r} (expected like '2026-W48')")
    year, number = int(match[1]), int(match[2])
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError as error:
        raise ValueError(f"no such ISO week: {week!r} ({year} has no week {number})") from error


def slot_in_week(week: str, slot: WeeklySlot, breaks: Sequence[SchoolBreak]) -> datetime | None:
    """When that week's nudge goes out (aware, in the slot's timezone), or None: no nudge."""
    monday = week_start(week)
    school_days = [monday + timedelta(days=n) for n in range(5)]
    if all(_off(day, breaks) for day in school_days):
        return None
    day = monday + timedelta(days=slot.weekday)
    if not _off(day, breaks):
        return _local(day, slot.at, _zone(slot.timezone))
    later = (d for d in school_days if d > day and not _off(d, breaks))
    moved = next(later, None)
    return None if moved is None else _local(moved, slot.at, _zone(slot.timezone))


def next_slot(
    now: datetime, slot: WeeklySlot, breaks: Sequence[SchoolBreak]
) -> tuple[str, datetime]:
    """The first slot strictly after `now`: its week and when it goes out.

    Raises `CalendarError` when there is none in the next `LOOKAHEAD_WEEKS` weeks."""
    week = week_of(now, slot.timezone)
    try:
        for _ in range(LOOKAHEAD_WEEKS + 1):
            when = slot_in_week(week, slot, breaks)
            if when is not None and when > now:
                return week, when
            week = _week_key(week_start(week) + timedelta(weeks=1))
    except OverflowError:
        raise CalendarError(
            f"no nudge ahead of {now.date().isoformat()}: the weeks up to the end of the "
            "calendar are all school breaks"
        ) from None
    raise CalendarError(
        f"no nudge in the {LOOKAHEAD_WEEKS} weeks after {now.date().isoformat()}: "
        "every one of them is a school break"
    )


def due_week(now: datetime, slot: WeeklySlot, breaks: Sequence[SchoolBreak]) -> str | None:
    """The week whose nudge is due at `now`: the current week once its slot has passed.

    Earlier weeks are never due, so a run after downtime catches up on the current week only.
    """
    week = week_of(now, slot.timezone)
    when = slot_in_week(week, slot, breaks)
    return week if when is not None and when <= now else None


def _week_key(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def _off(day: date, breaks: Sequence[SchoolBreak]) -> bool:
    return any(day in school_break for school_break in breaks)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone`.

    An ambiguous time (autumn fall-back) is its first occurrence. A time that does not exist
    (spring-forward gap) becomes the first instant after the gap: 02:30 on a night the clocks
    jump from 02:00 to 03:00 becomes 03:00.
    """
    wall = datetime.combine(day, at, tzinfo=zone)
    after = wall.astimezone(UTC)  # fold=0 reads a gap time with the offset from before it
    if after.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return wall
    before = wall.replace(fold=1).astimezone(UTC)  # ... and fold=1 with the one from after
    # The clocks changed in (before, after]: find the first whole second on the new offset.
    new_offset = after.astimezone(zone).utcoffset()
    low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, zone)
