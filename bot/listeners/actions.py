"""Buttons: "Share in channel" on a private lookup reply; "Mark done" / "Undo" on App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import views
from bot.context import Services
from bot.grammar import CommandError, parse_command
from bot.handlers.lookups import LOOKUPS, answer_lookup, checked_here
from bot.handlers.progress import home_view, mark_from_home

ACTIONS = (views.SHARE_ACTION, views.MARK_DONE_ACTION, views.UNDO_ACTION)


def register(app: App, services: Services) -> None:
    def on_share(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            request = parse_command(action.get("value", ""), services.progression).request
        except CommandError as error:
            respond(response_type="ephemeral", replace_original=False, **views.error_message(error))
            return
        if not isinstance(request, LOOKUPS):
            return
        team_id = str((body.get("team") or {}).get("id") or "")
        channel_id = str((body.get("channel") or {}).get("id") or "")
        checked_by = checked_here(request, services.store, team_id, channel_id)
        message = answer_lookup(request, services.progression, checked_by)
        shared = views.shared_message(message, body["user"]["id"])
        # The private copy goes away once the public one is there.
        respond(response_type="in_channel", delete_original=True, **shared)

    def on_home_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        team_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
        done = action["action_id"] == views.MARK_DONE_ACTION
        now = services.clock()
        # A change asks the runner (in the same transaction) to update the nudge's live count.
        mark_from_home(services.store, team_id, user_id, str(action.get("value", "")), done, now)
        view = home_view(
            services.store,
            services.progression,
            team_id,
            user_id,
            now,
            services.settings.progression_tz,
        )
        client.views_publish(user_id=user_id, view=view)

    app.action(views.SHARE_ACTION)(on_share)
    app.action(views.MARK_DONE_ACTION)(on_home_button)
    app.action(views.UNDO_ACTION)(on_home_button)
