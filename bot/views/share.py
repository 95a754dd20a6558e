"""Sharing a private reply in the channel: the button, and the shared copy."""

from __future__ import annotations

from typing import Any

from bot.views.blocks import MAX_BLOCKS, Block, Message, context
from bot.views.lookups import mention

SHARE_ACTION = "share_reply"
SHARE_BLOCK = "share"
MAX_BUTTON_VALUE = 2000


def with_share_button(message: Message, command_text: str) -> Message:
    """The reply with a "Share in channel" button that re-runs `command_text` in public."""
    # An empty command is help; Slack refuses an empty button value.
    value = command_text.strip() or "help"
    if len(value) > MAX_BUTTON_VALUE:
        return message  # a cut command would share something else; no button is better
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Share in channel"},
        "action_id": SHARE_ACTION,
        "value": value,
    }
    actions = {"type": "actions", "block_id": SHARE_BLOCK, "elements": [button]}
    # Views leave a block free for this; a full message from elsewhere gives up its last.
    blocks = message["blocks"][: MAX_BLOCKS - 1]
    return {**message, "blocks": [*blocks, actions]}


def shared_message(message: Message, user_id: str) -> Message:
    """The same reply for the channel: no share button, and who shared it."""
    blocks = [block for block in message["blocks"] if not _is_share_button(block)]
    # Views leave room for this line; a full message from elsewhere loses its last block.
    blocks = blocks[: MAX_BLOCKS - 1]
    return {**message, "blocks": [*blocks, context(f"Shared by {mention(user_id)}")]}


def _is_share_button(block: Block) -> bool:
    elements: list[dict[str, Any]] = block.get("elements", [])
    return block["type"] == "actions" and any(
        element.get("action_id") == SHARE_ACTION for element in elements
    )
