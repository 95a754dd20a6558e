"""Whether a parsed payload has the shape Bolt reads before any listener runs.

Bolt builds each request's context in its constructor (`slack_bolt.request.internals.
build_context`) and matches listeners by reading fixed fields; a value of the wrong JSON type
there (`event.item.channel` a number, `team` a list, `actions` empty) raises before any listener
or error handler. Every field below is one Bolt or this app's listeners read, with the types
Slack sends; any other field may be anything (`extra="allow"`). A request that differs is not
one Slack sends, and is refused (400).

"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Slack nests the objects Bolt walks (an event's item, a changed message's previous message)
# a few levels deep at most; a deeper chain is refused rather than walked.
MAX_NODE_DEPTH = 6

Text = str | None


class _Shape(BaseModel):
    # Strict: JSON's types as they are (no 5 read as "5"); any other field is Slack's business.
    model_config = ConfigDict(extra="allow", strict=True)


class IdObject(_Shape):
    """`"team": {"id": "T1"}` (where `"team": "T1"` is the other form)."""

    id: Text = None
    team_id: Text = None
    enterprise_id: Text = None


class FunctionData(_Shape):
    execution_id: Text = None


class View(_Shape):
    id: Text = None
    callback_id: Text = None
    team_id: Text = None
    app_installed_team_id: Text = None


class ResponseUrl(_Shape):
    response_url: Text = None


class Action(_Shape):
    action_id: Text = None
    block_id: Text = None
    value: Text = None
    type: Text = None


class Container(_Shape):
    type: Text = None
    channel_id: Text = None
    view_id: Text = None


IdOrObject = str | IdObject | None


class Node(_Shape):
    """An object Bolt reads the same ids in, and then the objects inside it (the payload
    itself, its event, an event's item, a message...)."""

    type: Text = None
    subtype: Text = None
    enterprise: IdOrObject = None
    enterprise_id: Text = None
    team: IdOrObject = None
    team_id: Text = None
    user: IdOrObject = None
    user_id: Text = None
    user_team: Text = None
    channel: IdOrObject = None
    channel_id: Text = None
    api_app_id: Text = None
    thread_ts: Text = None
    ts: Text = None
    event_ts: Text = None
    event_id: Text = None
    function_execution_id: Text = None
    bot_access_token: Text = None
    bot_id: Text = None
    response_url: Text = None
    reaction: Text = None
    tab: Text = None
    command: Text = None
    text: Text = None
    callback_id: Text = None
    action_id: Text = None
    block_id: Text = None
    challenge: Text = None
    token: Text = None
    authorizations: list[Node] | None = None
    event: Node | None = None
    item: Node | None = None
    message: Node | None = None
    previous_message: Node | None = None
    assistant_thread: Node | None = None
    function_data: FunctionData | None = None
    view: View | None = None
    response_urls: list[ResponseUrl] | None = None
    actions: Annotated[list[Action], Field(min_length=1)] | None = None
    container: Container | None = None

    @field_validator(
        "event", "item", "message", "previous_message", "assistant_thread", "actions", mode="before"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """Absent is fine; null where Bolt reads an object is not what Slack sends."""
        if value is None:
            raise ValueError("null where Slack sends an object")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _within_depth(
        cls, value: Any, handler: ModelWrapValidatorHandler[Node], info: ValidationInfo
    ) -> Node:
        """Count the nodes around this one (in the validation's context): past the deepest
        Slack sends, refused before anything inside is looked at."""
        around: list[int] = (info.context or {})["nodes_around"]
        if around[0] > MAX_NODE_DEPTH:
            raise ValueError("nested deeper than Slack nests")
        around[0] += 1
        try:
            return handler(value)
        finally:
            around[0] -= 1


def is_slack_shaped(payload: dict[str, Any]) -> bool:
    """Whether every field Bolt (or a listener) reads has the type Slack gives it."""
    try:
        Node.model_validate(payload, context={"nodes_around": [0]})
    except ValidationError:
        return False
    return True
