"""Who may manage: workspace admins and owners (from `users.info`) and PROGRESSION_MANAGERS.

`known_manager` answers without Slack when it can (the setting, or an answer from Slack a few
minutes old), so a command from a known manager is answered in the HTTP response itself;
`ask_slack` is for after the ack.
"""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings

CACHE_SECONDS = 300.0

_cache: dict[tuple[str, str], tuple[float, bool]] = {}
_lock = threading.Lock()


def known_manager(team_id: str, user_id: str, settings: Settings) -> bool | None:
    """True or False when known without asking Slack; None when Slack must be asked."""
    if user_id in settings.managers:
        return True
    with _lock:
        cached = _cache.get((team_id, user_id))
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    return None


def ask_slack(team_id: str, user_id: str, client: WebClient) -> bool:
    """An admin or owner, from users.info (remembered a few minutes). Slack's failures other
    than an unknown user propagate: "could not check" is not "not a manager"."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") != "user_not_found":
            raise
        user = {}
    allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    with _lock:
        _cache[(team_id, user_id)] = (time.monotonic(), allowed)
    return allowed


def who_can_manage(settings: Settings) -> str:
    named = ", ".join(f"<@{u}>" for u in sorted(settings.managers))
    also = f", and {named}" if named else ""
    return f"Workspace admins and owners{also} can do that (PROGRESSION_MANAGERS names more)."
