"""The digest's rules: what needs attention, what is on track, rates, the median, the trend."""

from __future__ import annotations

from datetime import date, time

import pytest

from progression.calendar import SchoolBreak, WeeklySlot
from progression.campus import DISTRICT
from progression.digest import (
    ChannelStanding,
    Posted,
    build_digest,
    campus_rates,
    district_median,
    school_weeks,
    trend_of,
)

WEEKS = ("2026-W47", "2026-W48", "2026-W49", "2026-W50")


def channel(
    channel_id: str,
    campus: str,
    done: tuple[int, ...],
    people: int | None = 10,
    role: str = "teacher",
    **extra: object,
) -> ChannelStanding:
    nudges = tuple(
        Posted(week, f"1.{7 + n}", count)
        for n, (week, count) in enumerate(zip(WEEKS[-len(done) :], done, strict=True))
    )
    return ChannelStanding(channel_id, role, campus, people, nudges, **extra)  # type: ignore[arg-type]


def test_a_channel_with_no_check_off_on_its_last_two_nudges_needs_attention() -> None:
    stalled = channel("C1", "Lincoln", (4, 0, 0))
    recovering = channel("C2", "Lincoln", (0, 0, 1))
    new = channel("C3", "Lincoln", (0,))  # one nudge so far: too soon to say
    digest = build_digest("Lincoln", "2026-W50", [stalled, recovering, new], WEEKS)
    assert [(a.concern, a.channel_id) for a in digest.attention] == [("stalled", "C1")]
    assert digest.on_track == 2


def test_inactive_and_unconfirmed_channels_need_attention_and_are_not_on_track() -> None:
    gone = channel("C1", "Lincoln", (3, 2), inactive="channel_not_found")
    unsure = channel("C2", "Lincoln", (3, 2), unconfirmed=True)
    fine = channel("C3", "Lincoln", (3, 2))
    digest = build_digest("Lincoln", "2026-W50", [gone, unsure, fine], WEEKS)
    assert [(a.concern, a.channel_id, a.detail) for a in digest.attention] == [
        ("inactive", "C1", "channel_not_found"),
        ("unconfirmed", "C2", ""),
    ]
    assert digest.on_track == 1


def test_a_campus_under_half_the_districts_median_needs_attention_in_the_district_digest() -> None:
    channels = [
        channel("CA", "Adams", (8,)),  # 80%
        channel("CB", "Brown", (6,)),  # 60%
        channel("CC", "Clark", (5,)),  # 50%
        channel("CD", "Davis", (2,)),  # 20%: under half the median (60% / 2 = 30%)
        channel("CX", DISTRICT, (0,)),  # not a campus: not in the median, never "behind"
    ]
    district = build_digest(DISTRICT, "2026-W50", channels, WEEKS)
    assert district.median == pytest.approx(0.55)  # over the four named campuses
    assert [(a.concern, a.campus) for a in district.attention] == [("behind", "Davis")]
    campus = build_digest("Davis", "2026-W50", channels[3:4], WEEKS)
    assert campus.attention == ()  # a campus digest compares with nobody


def test_rates_count_people_not_bots_and_a_campus_is_the_share_across_its_channels() -> None:
    rates = campus_rates(
        [
            channel("C1", "Lincoln", (3,), people=12),
            channel("C2", "Lincoln", (9,), people=8),  # more check-offs than people: capped
            channel("C3", "Lincoln", (5,), people=None),  # members unknown: left out
            channel("C4", "Washington", (1,), people=4),
        ]
    )
    assert [(r.campus, r.done, r.people) for r in rates] == [
        ("Lincoln", 11, 20),
        ("Washington", 1, 4),
    ]
    assert district_median(rates) == pytest.approx((11 / 20 + 1 / 4) / 2)


def test_the_trend_is_each_weeks_completion_of_that_weeks_moves() -> None:
    channels = [channel("C1", "Lincoln", (1, 2, 3, 4)), channel("C2", "Lincoln", (0, 0, 5))]
    assert trend_of(channels, WEEKS) == (0.1, 0.1, 0.15, 0.45)
    assert trend_of(channels, ("2026-W40", *WEEKS[:1])) == (None, 0.1)


def test_the_trend_skips_weeks_that_were_all_break() -> None:
    slot = WeeklySlot(4, time(14, 0), "America/Chicago")
    winter = SchoolBreak(date(2026, 12, 21), date(2027, 1, 1))
    weeks = school_weeks("2027-W02", slot, [winter], count=4)
    # 2026-W52 and W53 (28 December to 1 January) are the break.
    assert weeks == ("2026-W50", "2026-W51", "2027-W01", "2027-W02")
