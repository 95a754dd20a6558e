"""What the weekly digest says, from what each role channel did: what needs attention first,
then how many channels are on track, this week's move per channel, and the trend.

Pure: the store gathers each channel's standing (`ChannelStanding`), this module decides. A
channel's completion is the share of its people who checked its latest nudge's move off; a
campus's is the share across its channels; the district median is taken over the named
campuses ("District" does not count).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from progression.calendar import SchoolBreak, WeeklySlot, slot_in_week, week_start
from progression.campus import DISTRICT

TREND_WEEKS = 8
# Weeks looked back through for the trend's school weeks: eight school weeks even across a
# long summer.
_LOOK_BACK_WEEKS = 30

Concern = Literal["stalled", "inactive", "unconfirmed", "behind"]


@dataclass(frozen=True)
class Posted:
    """One nudge a channel got: its week, its move and how many people checked it off."""

    week: str
    ref: str
    done: int


@dataclass(frozen=True)
class ChannelStanding:
    """What the digest knows of one role channel."""

    channel_id: str
    role: str
    campus: str
    people: int | None  # the channel's members less the app; None when Slack was not asked
    nudges: tuple[Posted, ...] = ()  # oldest first
    inactive: str | None = None  # why the app cannot post there (Slack's error)
    unconfirmed: bool = False  # a delivery whose arrival is unknown

    @property
    def latest(self) -> Posted | None:
        return self.nudges[-1] if self.nudges else None

    @property
    def completion(self) -> float | None:
        """The share of its people who checked this week's move off."""
        latest = self.latest
        if latest is None or not self.people:
            return None
        return min(1.0, latest.done / self.people)

    @property
    def stalled(self) -> bool:
        """No check-off on its last two nudges."""
        return len(self.nudges) >= 2 and all(p.done == 0 for p in self.nudges[-2:])

    def done_in(self, week: str) -> int | None:
        """Check-offs of the move posted in `week`; None when none was posted."""
        return next((p.done for p in self.nudges if p.week == week), None)


@dataclass(frozen=True)
class Attention:
    """One thing a leader should look at, with what to do about it."""

    concern: Concern
    channel_id: str | None  # None for a campus
    campus: str
    detail: str = ""  # Slack's error, a completion


@dataclass(frozen=True)
class CampusRate:
    campus: str
    done: int
    people: int

    @property
    def completion(self) -> float | None:
        return None if not self.people else min(1.0, self.done / self.people)


@dataclass(frozen=True)
class Digest:
    """One digest: a campus's (for its leader channels) or the district's (for systems)."""

    scope: str  # the campus, or DISTRICT for the district's digest
    week: str
    attention: tuple[Attention, ...]
    on_track: int  # active channels needing no attention
    channels: tuple[ChannelStanding, ...]
    campuses: tuple[CampusRate, ...]  # this week's rate per campus
    trend_weeks: tuple[str, ...]  # the last school weeks, oldest first
    trend: dict[str, tuple[float | None, ...]] = field(default_factory=dict)  # per campus
    median: float | None = None  # over the named campuses

    @property
    def is_district(self) -> bool:
        return self.scope == DISTRICT


def campus_rates(channels: Sequence[ChannelStanding]) -> tuple[CampusRate, ...]:
    """Each campus's completion this week, across its channels (those with people known)."""
    totals: dict[str, list[int]] = {}
    for channel in channels:
        latest = channel.latest
        if latest is None or not channel.people or channel.inactive:
            totals.setdefault(channel.campus, [0, 0])
            continue
        done, people = totals.setdefault(channel.campus, [0, 0])
        totals[channel.campus] = [done + min(latest.done, channel.people), people + channel.people]
    return tuple(
        CampusRate(campus, done, people) for campus, (done, people) in sorted(totals.items())
    )


def district_median(rates: Sequence[CampusRate]) -> float | None:
    """The median completion over the named campuses ("District" does not count)."""
    values = [r.completion for r in rates if r.campus != DISTRICT and r.completion is not None]
    return statistics.median(values) if values else None


def school_weeks(
    week: str, slot: WeeklySlot, breaks: Sequence[SchoolBreak], count: int = TREND_WEEKS
) -> tuple[str, ...]:
    """The last `count` weeks up to `week` that had school (a nudge slot), oldest first."""
    found: list[str] = []
    start = week_start(week)
    for back in range(_LOOK_BACK_WEEKS):
        candidate = _week_key(start - timedelta(weeks=back))
        if slot_in_week(candidate, slot, breaks) is not None:
            found.append(candidate)
            if len(found) == count:
                break
    return tuple(reversed(found))


def trend_of(channels: Sequence[ChannelStanding], weeks: Sequence[str]) -> tuple[float | None, ...]:
    """The completion of each week across `channels`: check-offs of that week's moves over the
    people of the channels that had one."""
    rates: list[float | None] = []
    for week in weeks:
        done = people = 0
        for channel in channels:
            count = channel.done_in(week)
            if count is None or not channel.people:
                continue
            done += min(count, channel.people)
            people += channel.people
        rates.append(None if not people else done / people)
    return tuple(rates)


def build_digest(
    scope: str, week: str, channels: Sequence[ChannelStanding], weeks: Sequence[str]
) -> Digest:
    """The digest of `scope` (a campus, or DISTRICT for the whole district) from its role
    channels, with the trend over `weeks` (`school_weeks`)."""
    ordered = tuple(sorted(channels, key=lambda c: (c.campus, c.role, c.channel_id)))
    attention: list[Attention] = []
    for channel in ordered:
        if channel.inactive:
            attention.append(
                Attention("inactive", channel.channel_id, channel.campus, channel.inactive)
            )
            continue
        if channel.unconfirmed:
            attention.append(Attention("unconfirmed", channel.channel_id, channel.campus))
        if channel.stalled:
            attention.append(Attention("stalled", channel.channel_id, channel.campus))
    rates = campus_rates(ordered)
    median = district_median(rates) if scope == DISTRICT else None
    if scope == DISTRICT and median is not None:
        for rate in rates:
            completion = rate.completion
            if rate.campus != DISTRICT and completion is not None and completion < median / 2:
                attention.append(
                    Attention("behind", None, rate.campus, f"{completion:.0%} of {median:.0%}")
                )
    needing = {a.channel_id for a in attention if a.channel_id is not None}
    on_track = sum(1 for c in ordered if not c.inactive and c.channel_id not in needing)
    by_campus: dict[str, list[ChannelStanding]] = {}
    for channel in ordered:
        by_campus.setdefault(channel.campus, []).append(channel)
    trend = {campus: trend_of(members, weeks) for campus, members in by_campus.items()}
    return Digest(
        scope=scope,
        week=week,
        attention=tuple(attention),
        on_track=on_track,
        channels=ordered,
        campuses=rates,
        trend_weeks=tuple(weeks),
        trend=trend,
        median=median,
    )


def _week_key(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"
