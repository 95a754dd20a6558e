"""A signed command or button press sent again within Slack's 5-minute signature window acts
once: its signature is remembered in the store, so the memory holds across workers and hosts.

Checked where a request would act (a lookup only answers, so it is not): Socket Mode has no
signatures, and its messages come over an authenticated WebSocket.
"""

from __future__ import annotations

import logging

from slack_bolt import BoltRequest

from bot.context import Services
from store.busy import is_busy

logger = logging.getLogger("progression_bot.replays")


def is_replay(request: BoltRequest, services: Services) -> bool:
    if request.mode == "socket_mode":
        return False
    signature = (request.headers.get("x-slack-signature") or [""])[0]
    if not signature:
        return False
    now = services.clock().timestamp()
    try:
        if services.store.first_sight_of_request(signature, now):
            return False
    except Exception as error:
        if not is_busy(error):
            raise
        # Another process holds the write lock: a request that writes fails on its own write
        # ("busy, try again"), and one that only reads may answer twice; neither should wait.
        logger.warning("The replay memory is locked by another process: answered unchecked")
        return False
    logger.warning("A signed request was sent again; answered, not acted on")
    return True
