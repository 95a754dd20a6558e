"""Whether a parsed payload has the shape Bolt reads before any listener runs.

Bolt builds each request's context in its constructor (`slack_bolt.request.internals.
build_context`) and matches listeners by reading fixed fields; a value of the wrong JSON type
there (`event.item.channel` a number, `team` a list, `actions` empty) raises before any listener
or error handler. Every field below is one Bolt or this app's listeners read, with the types
Slack sends: a request that differs is not one Slack sends, and is refused (400).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Shape = Callable[[Any, int], bool]

# Slack nests the objects Bolt walks (an event's item, a changed message's previous message)
# a few levels deep at most; a deeper chain is refused rather than walked.
MAX_NODE_DEPTH = 6


def _text(value: Any, depth: int) -> bool:
    return value is None or isinstance(value, str)


def _object(fields: Mapping[str, Shape]) -> Shape:
    def check(value: Any, depth: int) -> bool:
        if not isinstance(value, dict):
            return False
        return all(shape(value[key], depth) for key, shape in fields.items() if key in value)

    return check


def _text_or(shape: Shape) -> Shape:
    """An id, or an object carrying it (`"team": "T1"` or `"team": {"id": "T1"}`)."""
    return lambda value, depth: _text(value, depth) or shape(value, depth)


def _list_of(shape: Shape, *, first_required: bool = False) -> Shape:
    def check(value: Any, depth: int) -> bool:
        if value is None and not first_required:
            return True
        if not isinstance(value, list) or (first_required and not value):
            return False
        return all(shape(item, depth) for item in value)

    return check


def _optional(shape: Shape) -> Shape:
    return lambda value, depth: value is None or shape(value, depth)


def _node(value: Any, depth: int) -> bool:
    """An object Bolt reads the same ids in, and then the objects inside it (the payload
    itself, its event, an event's item, a message...)."""
    if depth > MAX_NODE_DEPTH:
        return False
    return _object(_NODE_FIELDS)(value, depth + 1)


_ID_OBJECT = _object({"id": _text, "team_id": _text, "enterprise_id": _text})
_NODE_FIELDS: dict[str, Shape] = {
    "type": _text,
    "subtype": _text,
    "enterprise": _text_or(_ID_OBJECT),
    "enterprise_id": _text,
    "team": _text_or(_ID_OBJECT),
    "team_id": _text,
    "user": _text_or(_ID_OBJECT),
    "user_id": _text,
    "user_team": _text,
    "channel": _text_or(_ID_OBJECT),
    "channel_id": _text,
    "api_app_id": _text,
    "thread_ts": _text,
    "ts": _text,
    "event_ts": _text,
    "event_id": _text,
    "function_execution_id": _text,
    "bot_access_token": _text,
    "bot_id": _text,
    "response_url": _text,
    "reaction": _text,
    "tab": _text,
    "command": _text,
    "text": _text,
    "callback_id": _text,
    "action_id": _text,
    "block_id": _text,
    "challenge": _text,
    "token": _text,
    "authorizations": _list_of(_node),
    "event": _node,
    "item": _node,
    "message": _node,
    "previous_message": _node,
    "assistant_thread": _node,
    "function_data": _optional(_object({"execution_id": _text})),
    "view": _optional(
        _object(
            {
                "id": _text,
                "callback_id": _text,
                "team_id": _text,
                "app_installed_team_id": _text,
            }
        )
    ),
    "response_urls": _list_of(_object({"response_url": _text})),
    "actions": _list_of(
        _object({"action_id": _text, "block_id": _text, "value": _text, "type": _text}),
        first_required=True,
    ),
    "container": _optional(_object({"type": _text, "channel_id": _text, "view_id": _text})),
}


def is_slack_shaped(payload: dict[str, Any]) -> bool:
    """Whether every field Bolt (or a listener) reads has the type Slack gives it."""
    return _node(payload, 0)
