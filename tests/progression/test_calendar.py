"""Weeks, weekly slots and school breaks: the concrete cases, and the rules for every week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from progression.calendar import (
    CalendarError,
    SchoolBreak,
    WeeklySlot,
    check_break,
    due_week,
    next_slot,
    slot_in_week,
    week_of,
    week_start,
)

CHICAGO = "America/Chicago"
MONDAY_8 = WeeklySlot(weekday=0, at=time(8, 0), timezone=CHICAGO)
LABOR_DAY = SchoolBreak(date(2026, 9, 7), date(2026, 9, 7))  # Monday of 2026-W37
THANKSGIVING = SchoolBreak(date(2026, 11, 23), date(2026, 11, 27))  # Mon-Fri of 2026-W48


def chicago(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(CHICAGO))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def days(first: str, last: str) -> SchoolBreak:
    return SchoolBreak(date.fromisoformat(first), date.fromisoformat(last))


@pytest.mark.parametrize(
    ("moment", "timezone", "expected"),
    [
        pytest.param(utc(2026, 11, 25, 12), "UTC", "2026-W48", id="plain"),
        pytest.param(utc(2026, 1, 5, 12), "UTC", "2026-W02", id="zero-padded"),
        pytest.param(utc(2026, 11, 30, 3), "UTC", "2026-W49", id="Monday 03:00 UTC"),
        pytest.param(utc(2026, 11, 30, 3), CHICAGO, "2026-W48", id="is still Sunday in Chicago"),
        pytest.param(utc(2026, 11, 29, 12), "UTC", "2026-W48", id="Sunday noon UTC"),
        pytest.param(
            utc(2026, 11, 29, 12), "Pacific/Auckland", "2026-W49", id="is Monday in Auckland"
        ),
        pytest.param(utc(2026, 12, 31, 12), "UTC", "2026-W53", id="2026 has 53 weeks"),
        pytest.param(utc(2027, 1, 1, 12), "UTC", "2026-W53", id="1 Jan 2027 is in 2026-W53"),
        pytest.param(utc(2027, 1, 4, 12), "UTC", "2027-W01", id="2027-W01 starts 4 Jan"),
        pytest.param(utc(2024, 12, 30, 12), "UTC", "2025-W01", id="30 Dec 2024 is in 2025-W01"),
        pytest.param(utc(2027, 1, 1, 3), CHICAGO, "2026-W53", id="local week across the year"),
    ],
)
def test_week_of(moment: datetime, timezone: str, expected: str) -> None:
    assert week_of(moment, timezone) == expected
    year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    assert expected == f"{year}-W{week:02d}"


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        ("2026-W48", date(2026, 11, 23)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W53", date(2026, 12, 28)),
        ("2025-W01", date(2024, 12, 30)),
    ],
)
def test_week_start(week: str, expected: date) -> None:
    assert week_start(week) == expected


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-W54", "2026 has no week 54"),
        ("2027-W53", "2027 has no week 53"),
        ("2026-W00", "2026 has no week 0"),
        ("bad", "not an ISO week: 'bad'"),
        ("2026-W5", "not an ISO week: '2026-W5'"),
        ("2026W48", "not an ISO week"),
    ],
)
def test_week_start_rejects(week: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        week_start(week)


def test_week_of_needs_an_aware_moment() -> None:
    with pytest.raises(ValueError, match="aware"):
        week_of(datetime(2026, 11, 23, 8), CHICAGO)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekday": 7, "at": time(8), "timezone": CHICAGO}, "weekday"),
        ({"weekday": 0, "at": time(8), "timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"weekday": 0, "at": time(8, tzinfo=UTC), "timezone": CHICAGO}, "wall-clock"),
    ],
)
def test_bad_slots_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WeeklySlot(**kwargs)  # type: ignore[arg-type]


def test_bad_break_is_refused() -> None:
    with pytest.raises(ValueError, match="2026-11-20"):
        days("2026-11-27", "2026-11-20")


@pytest.mark.parametrize(
    ("week", "slot", "breaks", "expected"),
    [
        pytest.param("2026-W37", MONDAY_8, [], chicago(2026, 9, 7, 8), id="no break"),
        pytest.param(
            "2026-W37", MONDAY_8, [LABOR_DAY], chicago(2026, 9, 8, 8), id="Monday holiday: Tue"
        ),
        pytest.param("2026-W48", MONDAY_8, [THANKSGIVING], None, id="whole week off: none"),
        pytest.param(
            "2026-W48",
            MONDAY_8,
            [days("2026-11-25", "2026-11-27")],
            chicago(2026, 11, 23, 8),
            id="Wed-Fri off, Monday slot: unaffected",
        ),
        pytest.param(
            "2026-W48",
            WeeklySlot(1, time(7, 30), CHICAGO),
            [days("2026-11-23", "2026-11-25")],
            chicago(2026, 11, 26, 7, 30),
            id="Mon-Wed off, Tuesday slot: Thursday",
        ),
        pytest.param(
            "2026-W48",
            WeeklySlot(2, time(9), CHICAGO),
            [days("2026-11-25", "2026-11-27")],
            None,
            id="off from the slot day through Friday: none",
        ),
        pytest.param(
            "2026-W48",
            MONDAY_8,
            [days("2026-11-23", "2026-11-23"), days("2026-11-24", "2026-11-24")],
            chicago(2026, 11, 25, 8),
            id="back-to-back breaks",
        ),
        pytest.param(
            "2026-W48",
            MONDAY_8,
            [days("2026-11-20", "2026-11-23")],
            chicago(2026, 11, 24, 8),
            id="break starting the week before",
        ),
        pytest.param(
            "2026-W47",
            WeeklySlot(6, time(18), CHICAGO),
            [],
            chicago(2026, 11, 22, 18),
            id="Sunday slot: the last day of the ISO week",
        ),
        pytest.param(
            "2026-W47",
            WeeklySlot(6, time(18), CHICAGO),
            [days("2026-11-16", "2026-11-18")],
            chicago(2026, 11, 22, 18),
            id="Sunday slot outside the break: unaffected",
        ),
        pytest.param(
            "2026-W47",
            WeeklySlot(6, time(18), CHICAGO),
            [days("2026-11-21", "2026-11-22")],
            None,
            id="Sunday slot in a break: no school day after it",
        ),
        pytest.param(
            "2026-W48",
            WeeklySlot(6, time(18), CHICAGO),
            [THANKSGIVING],
            None,
            id="Sunday slot in a week with no school: none",
        ),
        pytest.param(
            "2026-W10",
            WeeklySlot(0, time(7, 30), CHICAGO),
            [],
            utc(2026, 3, 2, 13, 30),
            id="March, before DST: 07:30 CST",
        ),
        pytest.param(
            "2026-W11",
            WeeklySlot(0, time(7, 30), CHICAGO),
            [],
            utc(2026, 3, 9, 12, 30),
            id="March, after DST: 07:30 CDT",
        ),
        pytest.param(
            "2026-W10",
            WeeklySlot(6, time(2, 30), CHICAGO),
            [],
            utc(2026, 3, 8, 8),
            id="02:30 in the spring-forward gap: 03:00 CDT",
        ),
        pytest.param(
            "2026-W44",
            WeeklySlot(0, time(7, 30), CHICAGO),
            [],
            utc(2026, 10, 26, 12, 30),
            id="November, before the change: 07:30 CDT",
        ),
        pytest.param(
            "2026-W45",
            WeeklySlot(0, time(7, 30), CHICAGO),
            [],
            utc(2026, 11, 2, 13, 30),
            id="November, after the change: 07:30 CST",
        ),
        pytest.param(
            "2026-W44",
            WeeklySlot(6, time(1, 30), CHICAGO),
            [],
            utc(2026, 11, 1, 6, 30),
            id="01:30 twice at fall-back: the first one, CDT",
        ),
        pytest.param(
            "2026-W53",
            WeeklySlot(4, time(8), CHICAGO),
            [],
            chicago(2027, 1, 1, 8),
            id="53-week year: its Friday is in the next year",
        ),
        pytest.param(
            "2026-W53",
            WeeklySlot(0, time(8), CHICAGO),
            [days("2026-12-21", "2027-01-01")],
            None,
            id="winter break over the year boundary",
        ),
    ],
)
def test_slot_in_week(
    week: str, slot: WeeklySlot, breaks: list[SchoolBreak], expected: datetime | None
) -> None:
    when = slot_in_week(week, slot, breaks)
    if expected is None:
        assert when is None
    else:
        # Compared in UTC: == between zones is always False for a repeated wall time (PEP 495).
        assert when is not None and when.astimezone(UTC) == expected.astimezone(UTC)
        assert when.tzinfo == ZoneInfo(slot.timezone)


def test_spring_forward_gap_at_the_wall_clock() -> None:
    when = slot_in_week("2026-W10", WeeklySlot(6, time(2, 30), CHICAGO), [])
    assert when is not None
    assert (when.date(), when.time(), when.tzname()) == (date(2026, 3, 8), time(3), "CDT")


@pytest.mark.parametrize(
    ("now", "breaks", "expected"),
    [
        pytest.param(chicago(2026, 9, 2, 12), [], ("2026-W37", chicago(2026, 9, 7, 8)), id="next"),
        pytest.param(
            chicago(2026, 9, 7, 7, 59), [], ("2026-W37", chicago(2026, 9, 7, 8)), id="just before"
        ),
        pytest.param(
            chicago(2026, 9, 7, 8), [], ("2026-W38", chicago(2026, 9, 14, 8)), id="strictly after"
        ),
        pytest.param(
            chicago(2026, 9, 7, 8),
            [LABOR_DAY],
            ("2026-W37", chicago(2026, 9, 8, 8)),
            id="moved by a holiday",
        ),
        pytest.param(
            chicago(2026, 11, 20, 12),
            [THANKSGIVING],
            ("2026-W49", chicago(2026, 11, 30, 8)),
            id="skips a break week",
        ),
        pytest.param(
            utc(2026, 11, 23, 13, 59),
            [],
            ("2026-W48", chicago(2026, 11, 23, 8)),
            id="now in another timezone",
        ),
        pytest.param(
            chicago(2026, 12, 21, 12),
            [days("2026-12-21", "2027-01-01")],
            ("2027-W01", chicago(2027, 1, 4, 8)),
            id="over the year boundary",
        ),
    ],
)
def test_next_slot(
    now: datetime, breaks: list[SchoolBreak], expected: tuple[str, datetime]
) -> None:
    assert next_slot(now, MONDAY_8, breaks) == expected


def test_next_slot_when_every_week_is_a_break() -> None:
    with pytest.raises(ValueError, match="every one of them is a school break"):
        next_slot(chicago(2026, 9, 1), MONDAY_8, [days("2026-08-01", "2028-08-01")])


@pytest.mark.parametrize(
    ("now", "breaks", "expected"),
    [
        pytest.param(chicago(2026, 9, 14, 7, 59), [], None, id="before this week's slot"),
        pytest.param(chicago(2026, 9, 14, 8), [], "2026-W38", id="at the slot"),
        pytest.param(chicago(2026, 9, 20, 23, 59), [], "2026-W38", id="late in the week"),
        pytest.param(
            chicago(2026, 9, 21, 0, 1), [], None, id="new week, the last one is no longer due"
        ),
        pytest.param(
            utc(2026, 9, 21, 3), [], "2026-W38", id="Monday in UTC, still Sunday in Chicago"
        ),
        pytest.param(chicago(2026, 9, 7, 9), [LABOR_DAY], None, id="holiday: not yet"),
        pytest.param(chicago(2026, 9, 8, 8), [LABOR_DAY], "2026-W37", id="holiday: Tuesday"),
        pytest.param(chicago(2026, 11, 25, 12), [THANKSGIVING], None, id="break week: never"),
        pytest.param(
            chicago(2026, 12, 2, 12),
            [THANKSGIVING],
            "2026-W49",
            id="down three weeks: only the current one",
        ),
    ],
)
def test_due_week(now: datetime, breaks: list[SchoolBreak], expected: str | None) -> None:
    assert due_week(now, MONDAY_8, breaks) == expected


# Properties over random slots, weeks, breaks and moments.

TIMEZONES = [
    "UTC",
    CHICAGO,
    "America/New_York",
    "America/St_Johns",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
]
slots = st.builds(
    WeeklySlot,
    weekday=st.integers(min_value=0, max_value=6),
    at=st.times(),
    timezone=st.sampled_from(TIMEZONES),
)
days_around = st.dates(min_value=date(2000, 1, 3), max_value=date(2099, 12, 20))
moments = st.datetimes(
    min_value=datetime(2000, 1, 10), max_value=datetime(2099, 12, 1), timezones=st.just(UTC)
)


def breaks_near(day: date) -> st.SearchStrategy[list[SchoolBreak]]:
    one = st.builds(
        lambda start, length: SchoolBreak(day + timedelta(start), day + timedelta(start + length)),
        st.integers(min_value=-10, max_value=21),
        st.integers(min_value=0, max_value=12),
    )
    return st.lists(one, max_size=3)


def local_day(moment: datetime, slot: WeeklySlot) -> date:
    return moment.astimezone(ZoneInfo(slot.timezone)).date()


@settings(max_examples=300, deadline=None)
@given(slot=slots, day=days_around, data=st.data())
def test_slot_in_week_properties(slot: WeeklySlot, day: date, data: st.DataObject) -> None:
    year, number, _ = day.isocalendar()
    week = f"{year}-W{number:02d}"
    breaks = data.draw(breaks_near(week_start(week)), label="breaks")
    when = slot_in_week(week, slot, breaks)
    if when is None:
        return
    plain_day = week_start(week) + timedelta(slot.weekday)
    assert week_of(when, slot.timezone) == week
    assert not any(b.start <= local_day(when, slot) <= b.end for b in breaks)
    assert local_day(when, slot) >= plain_day
    if local_day(when, slot) != plain_day:
        assert when.weekday() < 5, "moved to a school day"
    if when.time() != slot.at:
        # Only a wall-clock time that does not exist that day moves: forward, to after the gap.
        wall = datetime.combine(when.date(), slot.at, tzinfo=ZoneInfo(slot.timezone))
        assert wall.astimezone(UTC).astimezone(wall.tzinfo).time() != slot.at
        assert when.time() > slot.at


@settings(max_examples=300, deadline=None)
@given(slot=slots, now=moments, data=st.data())
def test_next_slot_properties(slot: WeeklySlot, now: datetime, data: st.DataObject) -> None:
    breaks = data.draw(breaks_near(local_day(now, slot)), label="breaks")
    week, when = next_slot(now, slot, breaks)
    assert when > now
    assert slot_in_week(week, slot, breaks) == when
    # ... and no earlier week has a slot after now.
    earlier = week_start(week_of(now, slot.timezone))
    while earlier < week_start(week):
        year, number, _ = earlier.isocalendar()
        skipped = slot_in_week(f"{year}-W{number:02d}", slot, breaks)
        assert skipped is None or skipped <= now
        earlier += timedelta(weeks=1)


@settings(max_examples=300, deadline=None)
@given(slot=slots, now=moments, data=st.data())
def test_due_week_properties(slot: WeeklySlot, now: datetime, data: st.DataObject) -> None:
    breaks = data.draw(breaks_near(local_day(now, slot) - timedelta(7)), label="breaks")
    due = due_week(now, slot, breaks)
    this_week = slot_in_week(week_of(now, slot.timezone), slot, breaks)
    if due is None:
        assert this_week is None or this_week > now
    else:
        assert due == week_of(now, slot.timezone)
        assert this_week is not None and this_week <= now


TODAY = date(2026, 12, 1)  # a Tuesday; the next Monday is 2026-12-07


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        pytest.param("2026-12-07", "2037-01-01", "3679 days long", id="a mistyped year"),
        pytest.param("2026-12-21", "9999-12-31", "2912089 days long", id="to year 9999"),
        pytest.param("9999-12-20", "9999-12-31", "outside the school years", id="in year 9999"),
        pytest.param("2026-12-21", "2027-12-23", "368 days long", id="a day too long"),
        pytest.param("2024-12-21", "2025-01-02", "outside the school years", id="long past"),
    ],
)
def test_a_break_that_cannot_be_meant_is_refused(start: str, end: str, says: str) -> None:
    with pytest.raises(CalendarError, match=says) as refused:
        check_break(days(start, end), TODAY)
    assert "is a year mistyped?" in str(refused.value)


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-12-21", "2027-01-01"), ("2027-06-01", "2028-05-31"), ("2025-12-22", "2026-01-02")],
)
def test_a_real_break_passes(start: str, end: str) -> None:
    check_break(days(start, end), TODAY)


def test_a_break_to_the_end_of_the_calendar_is_reported_not_fatal() -> None:
    # Stored before breaks were checked: next_slot says why, as a CalendarError.
    with pytest.raises(CalendarError, match="every one of them is a school break"):
        next_slot(chicago(2026, 12, 1), MONDAY_8, [days("2026-12-07", "9999-12-31")])
    with pytest.raises(CalendarError, match="end of the calendar"):
        next_slot(chicago(9999, 11, 1, 9), MONDAY_8, [days("9999-11-02", "9999-12-31")])
