"""A signed command or button press sent again within Slack's 5-minute signature window acts
once: its signature is remembered in the store, so the memory holds across workers and hosts.

Checked where a request would act (a lookup or a report only answers, so it is not): Socket
Mode has no signatures, and its messages come over an authenticated WebSocket.
"""

from __future__ import annotations

import logging
from enum import Enum

from slack_bolt import BoltRequest

from bot.context import Services
from store.busy import unavailable_reason

logger = logging.getLogger("progression_bot.replays")


class Seen(Enum):
    FIRST = "first"  # act on it
    AGAIN = "again"  # a replay: answer, act on nothing
    # The memory could not be asked in time (another process holds the write lock, the
    # database is unreachable): a request that writes would wait on the same database again,
    # so it is told "busy" at once; one that writes nothing may act unchecked.
    UNKNOWN = "unknown"


def seen_before(request: BoltRequest, services: Services) -> Seen:
    if request.mode == "socket_mode":
        return Seen.FIRST
    signature = (request.headers.get("x-slack-signature") or [""])[0]
    if not signature:
        return Seen.FIRST
    try:
        first = services.store.first_sight_of_request(signature, services.clock().timestamp())
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None:
            raise
        logger.warning("The memory of signed requests could not be asked in time: %s", reason)
        return Seen.UNKNOWN
    if first:
        return Seen.FIRST
    logger.warning("A signed request was sent again; answered, not acted on")
    return Seen.AGAIN
