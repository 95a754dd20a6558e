"""A signed command or button press sent again within Slack's 5-minute signature window acts
once: its signature is remembered in the store, so the memory holds across workers and hosts.

Checked where a request would act (a lookup only answers, so it is not): Socket Mode has no
signatures, and its messages come over an authenticated WebSocket.
"""

from __future__ import annotations

import logging

from slack_bolt import BoltRequest

from bot.context import Services

logger = logging.getLogger("progression_bot.replays")


def is_replay(request: BoltRequest, services: Services) -> bool:
    if request.mode == "socket_mode":
        return False
    signature = (request.headers.get("x-slack-signature") or [""])[0]
    if not signature:
        return False
    now = services.clock().timestamp()
    if services.store.first_sight_of_request(signature, now):
        return False
    logger.warning("A signed request was sent again; answered, not acted on")
    return True
