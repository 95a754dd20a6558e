"""Bolt listeners, each module with a `register(app, services)`.

`COMMANDS`, `EVENTS` and `ACTIONS` are what the app answers; `app_manifest.yml` must declare
exactly these (tests/bot/test_manifest.py holds them to it).
"""

from __future__ import annotations

from slack_bolt import App

from bot.context import Services
from bot.listeners import actions, commands, departures, events

COMMANDS = commands.COMMANDS
EVENTS = events.EVENTS + departures.EVENTS
ACTIONS = actions.ACTIONS


def register_all(app: App, services: Services) -> None:
    for module in (commands, events, actions, departures):
        module.register(app, services)
