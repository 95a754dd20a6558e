"""What the store hands back: plain frozen records, no database types.

Schedules and breaks come back as the domain's own `WeeklySlot` and `SchoolBreak`.
"""

from __future__ import annotations

from dataclasses import dataclass


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
