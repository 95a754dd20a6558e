"""Events the manifest subscribes to; Bolt answers 404 to any it has no listener for."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import views
from bot.context import Services

EVENTS = ("app_home_opened", "reaction_added", "reaction_removed")


def register(app: App, services: Services) -> None:
    def on_app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=views.home_view(services.progression))

    def on_reaction(event: dict[str, Any]) -> None:
        # Check-offs by reaction are recorded once nudges exist to react to.
        return None

    app.event("app_home_opened")(on_app_home_opened)
    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)
