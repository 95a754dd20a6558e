"""Buttons: "Share in channel" on a private lookup reply."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import views
from bot.context import Services
from bot.grammar import CommandError, parse_command
from bot.handlers.lookups import LOOKUPS, answer_lookup

ACTIONS = (views.SHARE_ACTION,)


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
        message = answer_lookup(request, services.progression)
        shared = views.shared_message(message, body["user"]["id"])
        # The private copy goes away once the public one is there.
        respond(response_type="in_channel", delete_original=True, **shared)

    app.action(views.SHARE_ACTION)(on_share)
