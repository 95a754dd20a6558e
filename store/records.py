"""What the store hands back: plain frozen records, no database types.

Schedules and breaks come back as the domain's own `WeeklySlot` and `SchoolBreak`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


@dataclass(frozen=True)
class Subscription:
    team_id: str
    channel_id: str
    role: str
    phases: tuple[int, ...]  # empty: every phase
    subscribed_by: str
    subscribed_at: str
    first_week: str
    active: bool
    inactive_reason: str | None = None
    campus: str | None = None  # None until proposed from its name or named by a manager
    remind_weekday: int | None = None  # 0 (Monday) to 6, or None: no reminders


@dataclass(frozen=True)
class Delivery:
    team_id: str
    channel_id: str
    week: str
    role: str
    ref: str
    round: int
    state: str  # "sending", "posted" or "unconfirmed"
    ts: str | None
    claimed_at: str
    posted_at: str | None

    @property
    def is_celebration(self) -> bool:
        return self.ref == CELEBRATION


CELEBRATION = "celebration"


def from_row(record: type[R], row: Mapping[str, Any], **converted: Any) -> R:
    """A record from a row whose columns are named as the record's fields (other columns are
    left out); `converted`: the fields the database keeps in another form."""
    names = {field.name for field in fields(record)}
    return record(**{name: row[name] for name in names & row.keys()} | converted)


@dataclass(frozen=True)
class DigestSchedule:
    """When a workspace's digest goes out (in the workspace's timezone), or that it is off."""

    weekday: int  # 0 (Monday) to 6
    at: str  # "14:00"
    enabled: bool


@dataclass(frozen=True)
class WeeklyPost:
    """A digest, its chart or a reminder in one channel and week: claimed, then posted."""

    kind: str
    team_id: str
    channel_id: str
    week: str
    state: str  # "sending", "posted" or "unconfirmed"
    ts: str | None


@dataclass(frozen=True)
class ChannelSize:
    """What Slack last said of a channel: its name, and its people (the app not counted)."""

    name: str | None
    people: int | None
    checked_at: float
