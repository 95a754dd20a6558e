"""The app's clock. What depends on the time takes a clock (or `now`), so that tests and the
local workspace can give it one of their own; this is the real one."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)
