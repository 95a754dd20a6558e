"""What a handler is, and the table that maps each request type to its handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from slack_sdk import WebClient

from bot.context import Services
from bot.views import Message


@dataclass(frozen=True)
class CommandContext:
    services: Services
    client: WebClient
    team_id: str
    channel_id: str
    user_id: str
    now: datetime
    channel_name: str = ""  # as the command's payload names it ("" when it did not)
    # After the ack a handler may wait on Slack (users.conversations); in the response, never.
    may_ask_slack: bool = False


Handler = Callable[[Any, CommandContext], Message]
HANDLERS: dict[type, Handler] = {}
H = TypeVar("H", bound=Handler)


def handles(*request_types: type) -> Callable[[H], H]:
    def register(handler: H) -> H:
        for request_type in request_types:
            HANDLERS[request_type] = handler
        return handler

    return register
