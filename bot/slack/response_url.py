"""Answers sent through a request's response_url, with what Slack said back checked."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.webhook import WebhookClient

logger = logging.getLogger("progression_bot.response_url")

TIMEOUT_SECONDS = 10


class ResponseUrlRefused(Exception):
    """Slack did not take an answer sent to a response_url (expired, used up, not found)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"response_url answered {status} {reason}")
        self.status = status
        self.reason = reason


def send_to_response_url(url: str, message: dict[str, Any], what: str) -> None:
    """POST `message`; `ResponseUrlRefused` when Slack answers anything but 200."""
    answer = WebhookClient(url, timeout=TIMEOUT_SECONDS).send_dict(message)
    if answer.status_code != 200:
        # Slack's reason is a short word (expired_url, used_url); keep the log line one line.
        reason = "".join(c for c in str(answer.body)[:40] if c.isprintable())
        raise ResponseUrlRefused(answer.status_code, reason)
    logger.debug("Sent %s through the response_url", what)
