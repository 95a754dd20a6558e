"""Who may manage: workspace admins and owners (from `users.info`) and PROGRESSION_MANAGERS."""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings

CACHE_SECONDS = 300.0

_cache: dict[str, tuple[float, bool]] = {}
_lock = threading.Lock()


def is_manager(user_id: str, client: WebClient, settings: Settings) -> bool:
    if user_id in settings.managers:
        return True
    with _lock:
        cached = _cache.get(user_id)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return False
    allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    with _lock:
        _cache[user_id] = (time.monotonic(), allowed)
    return allowed


def who_can_manage(settings: Settings) -> str:
    named = ", ".join(f"<@{u}>" for u in sorted(settings.managers))
    also = f", and {named}" if named else ""
    return f"Workspace admins and owners{also} can do that (PROGRESSION_MANAGERS names more)."
