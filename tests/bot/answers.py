"""What a person sees in answer to `/progression`: the HTTP response, or, when the app had to
ask Slack first, the interim reply and then what it sent through the response_url."""

from __future__ import annotations

import itertools
from typing import Any

from tests.slack.signing import SlackSender
from tests.slack.web_api import SlackWebAPI

INTERIM = ":hourglass_flowing_sand:"
_names = itertools.count(1)


def is_interim(reply: dict[str, Any]) -> bool:
    return str(reply.get("text", "")).startswith(INTERIM)


def final_answer(
    slack: SlackSender, api: SlackWebAPI, text: str, timeout: float = 10, **fields: str
) -> dict[str, Any]:
    """The answer the person ends up with, wherever it came from."""
    name = f"answer-{next(_names)}"
    reply = slack.command(text, response_url=api.response_url(name), **fields)
    assert reply.status == 200, reply.status
    body: dict[str, Any] = reply.json()
    if not is_interim(body):
        return body
    [call] = api.wait_for_response_url(name, timeout=timeout)
    return dict(call.params)
