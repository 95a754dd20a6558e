"""Slack's Block Kit limits, checked on a plain-dict message or view.

Slack refuses a whole message when one limit is passed (`invalid_blocks`), so a reply that
passes them is a reply nobody sees. Figures from api.slack.com/reference/block-kit.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # App Home and modals
MAX_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_URL = 3000

TEXT_TYPES = {"plain_text", "mrkdwn"}
BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text", "input"}


def assert_within_block_kit_limits(message: dict[str, Any]) -> None:
    """Fail with the first limit that `message` (a message or a `home`/`modal` view) passes."""
    blocks = message["blocks"]
    assert isinstance(blocks, list) and blocks, "a reply needs at least one block"
    limit = MAX_VIEW_BLOCKS if message.get("type") in ("home", "modal") else MAX_MESSAGE_BLOCKS
    assert len(blocks) <= limit, f"{len(blocks)} blocks, Slack allows {limit}"
    if "type" not in message:
        text = message.get("text")
        assert isinstance(text, str) and text.strip(), "a message needs fallback text"
        assert len(text) <= MAX_TEXT, f"fallback text of {len(text)} characters"
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    repeated = [bid for bid, n in Counter(block_ids).items() if n > 1]
    assert not repeated, f"block_id used twice: {repeated}"
    action_ids = [
        element["action_id"]
        for block in blocks
        for element in block.get("elements", [])
        if block["type"] == "actions" and "action_id" in element
    ]
    assert len(action_ids) == len(set(action_ids)), f"action_id used twice: {action_ids}"
    for index, block in enumerate(blocks):
        check_block(block, f"blocks[{index}]")


def check_block(block: dict[str, Any], where: str) -> None:
    kind = block.get("type")
    assert kind in BLOCK_TYPES, f"{where}: unknown block type {kind!r}"
    assert len(block.get("block_id", "")) <= MAX_BLOCK_ID, f"{where}: block_id too long"
    checks = {
        "section": _section,
        "header": _header,
        "context": _context,
        "actions": _actions,
        "divider": _divider,
    }
    if kind in checks:
        checks[kind](block, where)


def check_text(text: Any, where: str, limit: int, plain_only: bool = False) -> None:
    assert isinstance(text, dict), f"{where}: a text object, not {text!r}"
    kind = text.get("type")
    assert kind in TEXT_TYPES, f"{where}: text type {kind!r} is not plain_text or mrkdwn"
    if plain_only:
        assert kind == "plain_text", f"{where}: must be plain_text, is {kind}"
    assert set(text) <= {"type", "text", "emoji", "verbatim"}, f"{where}: fields {set(text)}"
    if kind == "mrkdwn":
        assert "emoji" not in text, f"{where}: `emoji` belongs to plain_text only"
    value = text.get("text")
    assert isinstance(value, str) and value.strip(), f"{where}: empty text"
    assert len(value) <= limit, f"{where}: {len(value)} characters, Slack allows {limit}"


def _section(block: dict[str, Any], where: str) -> None:
    assert "text" in block or "fields" in block, f"{where}: section with no text or fields"
    if "text" in block:
        check_text(block["text"], f"{where}.text", MAX_SECTION_TEXT)
    fields = block.get("fields", [])
    assert len(fields) <= MAX_SECTION_FIELDS, f"{where}: {len(fields)} fields"
    for index, field in enumerate(fields):
        check_text(field, f"{where}.fields[{index}]", MAX_FIELD_TEXT)


def _header(block: dict[str, Any], where: str) -> None:
    check_text(block["text"], f"{where}.text", MAX_HEADER_TEXT, plain_only=True)


def _context(block: dict[str, Any], where: str) -> None:
    elements = block["elements"]
    assert 0 < len(elements) <= MAX_CONTEXT_ELEMENTS, f"{where}: {len(elements)} elements"
    for index, element in enumerate(elements):
        if element.get("type") != "image":
            check_text(element, f"{where}.elements[{index}]", MAX_SECTION_TEXT)


def _actions(block: dict[str, Any], where: str) -> None:
    elements = block["elements"]
    assert 0 < len(elements) <= MAX_ACTIONS_ELEMENTS, f"{where}: {len(elements)} elements"
    for index, element in enumerate(elements):
        here = f"{where}.elements[{index}]"
        assert element.get("type") == "button", f"{here}: only buttons are checked here"
        check_text(element["text"], f"{here}.text", MAX_BUTTON_TEXT, plain_only=True)
        assert 0 < len(element.get("action_id", "")) <= MAX_ACTION_ID, f"{here}: action_id"
        assert len(element.get("value", "")) <= MAX_BUTTON_VALUE, f"{here}: value too long"
        assert len(element.get("url", "")) <= MAX_URL, f"{here}: url too long"
        if "value" in element:
            assert element["value"], f"{here}: empty value"


def _divider(block: dict[str, Any], where: str) -> None:
    assert set(block) <= {"type", "block_id"}, f"{where}: a divider has no content"
