"""How dates and counts are written to people: one style everywhere, whoever writes them.

A moment is "Monday 14 December 2026 at 08:00 (America/Chicago)": the weekday and the month
in words (no 12/7 against 7/12 to misread), a 24-hour clock, and the zone by its IANA name.
Where space is tight, the same order, shortened: "Mon 14 Dec 2026 at 08:00". A week is named
by its Monday. Machines (CSV, logs, the CLI's `--week`) get ISO 8601 instead, never these.
Pure: the caller gives the moment, aware, in the zone it is to be read in.
"""

from __future__ import annotations

from datetime import date, datetime

from progression.calendar import week_start


def zone_name(moment: datetime) -> str:
    """The IANA name of the moment's zone ("America/Chicago"), else its abbreviation."""
    return getattr(moment.tzinfo, "key", None) or moment.strftime("%Z")


def day(value: date) -> str:
    """ "Monday 14 December 2026"."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def short_day(value: date) -> str:
    """ "Mon 14 Dec 2026"."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def when(moment: datetime) -> str:
    """ "Monday 14 December 2026 at 08:00 (America/Chicago)"."""
    _aware(moment)
    return f"{day(moment.date())} at {moment:%H:%M} ({zone_name(moment)})"


def short_when(moment: datetime) -> str:
    """ "Mon 14 Dec 2026 at 08:00", for where the zone is already said."""
    _aware(moment)
    return f"{short_day(moment.date())} at {moment:%H:%M}"


def week(key: str) -> str:
    """An ISO week ("2026-W51") as people name it: "the week of Monday 14 December 2026"."""
    return f"the week of {day(week_start(key))}"


def short_week(key: str) -> str:
    """ "week of Mon 14 Dec 2026"."""
    return f"week of {short_day(week_start(key))}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 check-off", "2 check-offs", "0 check-offs"; `plural` when adding "s" is wrong."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"need an aware datetime, got naive {moment.isoformat()}")
