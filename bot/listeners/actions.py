"""Buttons: "Share in channel" on a private lookup reply; "Mark done" / "Undo" on App Home.

Each is acked first; what needs Slack (the response_url, views.publish) is handed to the
button's lazy function, after the ack (bot/slack/after_ack.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk.errors import SlackApiError

from bot import views
from bot.context import Services
from bot.grammar import CommandError, parse_command
from bot.handlers.lookups import LOOKUPS, answer_lookup, checked_here
from bot.handlers.progress import mark_from_home
from bot.listeners.binding import with_services
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
    app.action(views.SHARE_ACTION)(
        ack=with_services(on_share, services), lazy=[with_services(share_later, services)]
    )
    for action_id in (views.MARK_DONE_ACTION, views.UNDO_ACTION):
        app.action(action_id)(
            ack=with_services(on_home_button, services),
            lazy=[with_services(finish_home_press, services)],
        )


# --- Share in channel -----------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    text: str
    team_id: str
    channel_id: str
    user_id: str
    response_url: str


def on_share(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    request: BoltRequest,
    context: BoltContext,
) -> None:
    ack()
    # Unknown (the database did not answer in time): sharing stores nothing, so it goes on.
    if seen_before(request, services) is Seen.AGAIN or not body.get("response_url"):
        return
    share = Share(
        text=without_unsafe(str(action.get("value", ""))),
        team_id=str((body.get("team") or {}).get("id") or ""),
        channel_id=str((body.get("channel") or {}).get("id") or ""),
        user_id=str(body["user"]["id"]),
        response_url=str(body["response_url"]),
    )
    services.after_ack.hand_over(context, "Sharing a lookup", share)


def share_later(services: Services, context: BoltContext) -> None:
    services.after_ack.take_over(context, Share, lambda share: post_shared(services, share))


def post_shared(services: Services, share: Share) -> None:
    """Post the shared copy, then remove the private reply: two requests, since Slack's
    documentation disagrees on mixing `delete_original` with a new message."""
    try:
        request = parse_command(share.text, services.progression).request
    except CommandError as error:
        reply = {"response_type": "ephemeral", "replace_original": False}
        send_to_response_url(
            share.response_url, {**reply, **views.error_message(error)}, "an error"
        )
        return
    if not isinstance(request, LOOKUPS):
        return
    checked_by = checked_here(request, services.store, share.team_id, share.channel_id)
    answer = answer_lookup(request, services.progression, checked_by)
    shared = views.shared_message(answer, share.user_id)
    try:
        send_to_response_url(
            share.response_url,
            {"response_type": "in_channel", "replace_original": False, **shared},
            "the shared copy",
        )
    except ResponseUrlRefused as refused:
        logger.warning("Share refused by Slack's response_url: %s", refused)
        _tell_share_failed(services, share)
        return
    try:
        send_to_response_url(share.response_url, {"delete_original": True}, "the removal")
    except ResponseUrlRefused as refused:
        # Shared all the same; the private copy stays, which the person can dismiss.
        logger.warning("Removing the private reply was refused: %s", refused)


def _tell_share_failed(services: Services, share: Share) -> None:
    try:
        services.slack_for(share.team_id).chat_postEphemeral(
            channel=share.channel_id,
            user=share.user_id,
            **waiting.share_failed_message(share.text),
        )
    except SlackApiError as error:
        logger.warning(
            "Could not tell %s that sharing failed: %s", share.user_id, type(error).__name__
        )


# --- Mark done / Undo on App Home -----------------------------------------------------------


class Then(Enum):
    """What is left to do after the ack."""

    TELL_NOT_SAVED = "tell"  # the store could not say whether the press was seen before
    PUBLISH = "publish"  # marked in the request: refresh the Home tab
    MARK_THEN_PUBLISH = "mark"  # the store was busy in the request: once more, after it
    ASK_THEN_MARK = "ask"  # which channels the person is in needs Slack first


@dataclass(frozen=True)
class HomePress:
    then: Then
    team_id: str
    user_id: str
    value: str  # "channel|ts" of the nudge
    done: bool  # Mark done, or Undo
    member_of: frozenset[str] = frozenset()


_WHAT = {
    Then.TELL_NOT_SAVED: "Telling a Home press was not saved",
    Then.PUBLISH: "Refreshing Home",
    Then.MARK_THEN_PUBLISH: "Marking done",
    Then.ASK_THEN_MARK: "Marking done on Home",
}


def on_home_button(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    request: BoltRequest,
    context: BoltContext,
) -> None:
    ack()
    seen = seen_before(request, services)
    if seen is Seen.AGAIN:
        return
    user_id = str(body["user"]["id"])
    team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
    press = HomePress(
        Then.TELL_NOT_SAVED,
        team_id,
        user_id,
        value=str(action.get("value", "")),
        done=action["action_id"] == views.MARK_DONE_ACTION,
    )
    if seen is Seen.FIRST:
        press = mark_if_known(services, press)
    services.after_ack.hand_over(context, _WHAT[press.then], press)


def mark_if_known(services: Services, press: HomePress) -> HomePress:
    """Mark in the request when the person's channels are known (the Home tab just opened
    asked Slack); what is left for after the ack."""
    now = services.clock()
    known = remembered_role_channels(services.store, press.team_id, press.user_id, now)
    if known is None:
        return replace(press, then=Then.ASK_THEN_MARK)
    try:
        _mark(services, press, known)
    except Exception as error:
        if unavailable_reason(error) is None:
            raise
        # Another process holds the database: once more after the ack, and the person told
        # if that fails too, rather than the press dropped in silence.
        return replace(press, then=Then.MARK_THEN_PUBLISH, member_of=known)
    return replace(press, then=Then.PUBLISH)


def finish_home_press(services: Services, context: BoltContext) -> None:
    saved = threading.Event()
    services.after_ack.take_over(
        context,
        HomePress,
        lambda press: _finish(services, press, saved),
        lambda press: _tell_not_saved(services, press, saved),
    )


def _finish(services: Services, press: HomePress, saved: threading.Event) -> None:
    if press.then is Then.TELL_NOT_SAVED:
        # Marking would wait on the same database again: the person hears at once that the
        # press was not saved, and may press again.
        services.slack_for(press.team_id).chat_postMessage(
            channel=press.user_id, **waiting.home_not_saved_message()
        )
        return
    if press.then is Then.PUBLISH:
        saved.set()
    else:
        member_of = press.member_of
        if press.then is Then.ASK_THEN_MARK:
            now = services.clock()
            member_of = member_role_channels(
                services.store, services.slack_for(press.team_id), press.team_id, press.user_id, now
            )
        _mark(services, press, member_of)
        saved.set()
    publish_home(services, press.team_id, press.user_id)


def _tell_not_saved(services: Services, press: HomePress, saved: threading.Event) -> None:
    if press.then is Then.TELL_NOT_SAVED:
        return  # telling was the work, and it failed (logged)
    # Only say it is saved when it was: a failed write must not read as a check-off.
    sorry = (
        waiting.home_not_refreshed_message() if saved.is_set() else waiting.home_not_saved_message()
    )
    services.slack_for(press.team_id).chat_postMessage(channel=press.user_id, **sorry)


def _mark(services: Services, press: HomePress, member_of: frozenset[str]) -> None:
    # A change asks the runner (same transaction) to update the nudge's live count.
    now = services.clock()
    mark_from_home(
        services.store, press.team_id, press.user_id, press.value, press.done, now, member_of
    )
