"""What every listener needs, built once by `create_app` and handed to `register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.settings import Settings
from progression.model import Progression
from store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


def _no_op(team_id: str) -> None:
    return None


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    progression: Progression
    clock: Callable[[], datetime] = utc_now
    # Called with the team id when a manager changes its schedule or breaks, so the running
    # scheduler can rebuild that workspace's job.
    on_schedule_change: Callable[[str], object] = field(default=_no_op)
