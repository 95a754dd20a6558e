"""Who may manage: workspace admins and owners (from `users.info`) and PROGRESSION_MANAGERS;
and whom someone who may not is told to ask.

`known_manager` answers without Slack when it can (the setting, or an answer from Slack a few
minutes old), so a command from a known manager is answered in the HTTP response itself;
`ask_slack` is for after the ack. Slack's answer is kept in the store, as App Home membership
is (`bot/slack/membership.py`): every web worker and host shares it, so a second command a
moment later, whichever worker takes it, does not ask Slack again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from store import Store
from store.busy import unavailable_reason

logger = logging.getLogger(__name__)

MANAGER_SECONDS = 300.0
MOST_NAMED = 3  # whom a refusal asks the person to ask


def known_manager(
    store: Store, settings: Settings, team_id: str, user_id: str, now: datetime
) -> bool | None:
    """True or False when known without asking Slack; None when Slack must be asked."""
    if user_id in settings.managers:
        return True
    remembered = store.remembered_manager(team_id, user_id)
    if remembered is None:
        return None
    allowed, checked_at = remembered
    return allowed if checked_at > now.timestamp() - MANAGER_SECONDS else None


def ask_slack(store: Store, client: WebClient, team_id: str, user_id: str, now: datetime) -> bool:
    """An admin or owner, from users.info (remembered a few minutes). Slack's failures other
    than an unknown user propagate: "could not check" is not "not a manager"."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") != "user_not_found":
            raise
        user = {}
    allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    try:
        store.remember_manager(team_id, user_id, allowed, now.timestamp())
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None:
            raise
        # The answer stands; only the next command asks Slack again.
        logger.warning("Could not keep whether %s manages: %s", user_id, reason)
    return allowed


def manages(
    store: Store, settings: Settings, client: WebClient, team_id: str, user_id: str, now: datetime
) -> bool:
    """For what a person is shown (the district on App Home), after the ack: known, else asked
    of Slack; not a manager when Slack cannot say (they see their own part, and the next
    opening asks again)."""
    known = known_manager(store, settings, team_id, user_id, now)
    if known is not None:
        return known
    try:
        return ask_slack(store, client, team_id, user_id, now)
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else error
        logger.warning("Could not ask whether %s manages: %s", user_id, reason)
        return False


def who_can_manage(settings: Settings, store: Store | None = None, team_id: str = "") -> str:
    """Whom to ask, by name (Slack shows a `<@U…>` mention as the person's name): the managers
    the settings name, and the admins and owners Slack has named to the app in `team_id`'s
    workspace (kept in `store`)."""
    named = sorted(settings.managers)
    if store is not None and team_id:
        named += [user for user in store.managers_seen(team_id) if user not in settings.managers]
    if not named:
        return "Ask one of the workspace's admins and owners."
    mentions = [f"<@{user}>" for user in named[:MOST_NAMED]]
    either = mentions[0] if len(mentions) == 1 else f"{', '.join(mentions[:-1])} or {mentions[-1]}"
    return f"Ask {either}; the workspace's admins and owners can help too."
