"""What every listener needs, built once by `create_app` and handed to `register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.settings import Settings
from progression.model import Progression
from store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    progression: Progression
    clock: Callable[[], datetime] = utc_now
