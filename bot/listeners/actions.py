"""Buttons: "Share in channel" on a private lookup reply; "Mark done" / "Undo" on App Home.

Each is acked first; what needs Slack (the response_url, views.publish) runs after the ack.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import Ack, App, BoltRequest
from slack_sdk.errors import SlackApiError

from bot import views
from bot.context import Services
from bot.grammar import CommandError, parse_command
from bot.handlers.lookups import LOOKUPS, answer_lookup, checked_here
from bot.handlers.progress import mark_from_home
from bot.listeners.events import publish_home
from bot.slack.membership import member_role_channels, remembered_role_channels
from bot.slack.replays import Seen, seen_before
from bot.slack.response_url import ResponseUrlRefused, send_to_response_url
from bot.views import waiting
from bot.views.mrkdwn import without_unsafe
from store.busy import unavailable_reason

ACTIONS = (views.SHARE_ACTION, views.MARK_DONE_ACTION, views.UNDO_ACTION)

logger = logging.getLogger("progression_bot.actions")


def register(app: App, services: Services) -> None:
    def on_share(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], request: BoltRequest
    ) -> None:
        ack()
        # Unknown (the database did not answer in time): sharing stores nothing, so it goes on.
        if seen_before(request, services) is Seen.AGAIN:
            return
        text = without_unsafe(str(action.get("value", "")))
        team_id = str((body.get("team") or {}).get("id") or "")
        channel_id = str((body.get("channel") or {}).get("id") or "")
        user_id = str(body["user"]["id"])
        response_url = str(body.get("response_url") or "")
        if not response_url:
            return
        share = share_later(services, text, team_id, channel_id, user_id, response_url)
        services.after_ack.submit(share, "Sharing a lookup")

    def on_home_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], request: BoltRequest
    ) -> None:
        ack()
        user_id = str(body["user"]["id"])
        team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
        done = action["action_id"] == views.MARK_DONE_ACTION
        value = str(action.get("value", ""))

        saved = threading.Event()

        def mark(member_of: frozenset[str]) -> None:
            # A change asks the runner (same transaction) to update the nudge's live count.
            now = services.clock()
            mark_from_home(services.store, team_id, user_id, value, done, now, member_of)
            saved.set()

        def tell() -> None:
            # Only say it is saved when it was: a failed write must not read as a check-off.
            sorry = (
                waiting.home_not_refreshed_message()
                if saved.is_set()
                else waiting.home_not_saved_message()
            )
            services.slack.chat_postMessage(channel=user_id, **sorry)

        seen = seen_before(request, services)
        if seen is Seen.UNKNOWN:
            # Marking would wait on the same database again: the person hears at once that
            # the press was not saved, and may press again.
            services.after_ack.submit(tell, "Telling a Home press was not saved")
        if seen is not Seen.FIRST:
            return

        publish = publish_home(services, team_id, user_id)

        def mark_then_publish(member_of: frozenset[str]) -> None:
            mark(member_of)
            publish()

        known = remembered_role_channels(services.store, team_id, user_id, services.clock())
        if known is not None:  # the Home just opened asked Slack: decided before the answer
            try:
                mark(known)
            except Exception as error:
                if unavailable_reason(error) is None:
                    raise
                # Another process holds the database: try once more after the ack, and tell
                # the person if that fails too, rather than dropping the press in silence.
                services.after_ack.submit(lambda: mark_then_publish(known), "Marking done", tell)
                return
            services.after_ack.submit(publish, "Refreshing Home", tell)
            return

        def ask_then_mark() -> None:
            # Whether the person is in the channel needs Slack: after the ack.
            now = services.clock()
            mark_then_publish(
                member_role_channels(services.store, services.slack, team_id, user_id, now)
            )

        services.after_ack.submit(ask_then_mark, "Marking done on Home", tell)

    app.action(views.SHARE_ACTION)(on_share)
    app.action(views.MARK_DONE_ACTION)(on_home_button)
    app.action(views.UNDO_ACTION)(on_home_button)


def share_later(
    services: Services, text: str, team_id: str, channel_id: str, user_id: str, response_url: str
) -> Any:
    """Post the shared copy, then remove the private reply: two requests, since Slack's
    documentation disagrees on mixing `delete_original` with a new message."""

    def share() -> None:
        try:
            request = parse_command(text, services.progression).request
        except CommandError as error:
            reply = {"response_type": "ephemeral", "replace_original": False}
            send_to_response_url(response_url, {**reply, **views.error_message(error)}, "an error")
            return
        if not isinstance(request, LOOKUPS):
            return
        checked_by = checked_here(request, services.store, team_id, channel_id)
        answer = answer_lookup(request, services.progression, checked_by)
        shared = views.shared_message(answer, user_id)
        try:
            send_to_response_url(
                response_url,
                {"response_type": "in_channel", "replace_original": False, **shared},
                "the shared copy",
            )
        except ResponseUrlRefused as refused:
            logger.warning("Share refused by Slack's response_url: %s", refused)
            _tell_share_failed(services, text, channel_id, user_id)
            return
        try:
            send_to_response_url(response_url, {"delete_original": True}, "the removal")
        except ResponseUrlRefused as refused:
            # Shared all the same; the private copy stays, which the person can dismiss.
            logger.warning("Removing the private reply was refused: %s", refused)

    return share


def _tell_share_failed(services: Services, text: str, channel_id: str, user_id: str) -> None:
    try:
        services.slack.chat_postEphemeral(
            channel=channel_id, user=user_id, **waiting.share_failed_message(text)
        )
    except SlackApiError as error:
        logger.warning("Could not tell %s that sharing failed: %s", user_id, type(error).__name__)
