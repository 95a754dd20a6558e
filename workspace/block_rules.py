"""Slack's documented Block Kit rules for the blocks the app uses, so that the workspace
refuses what Slack refuses: `invalid_blocks_format` for blocks that are not a JSON array,
`invalid_blocks` with Slack's `errors` and `response_metadata.messages` for the rest.

Only the documented limits of header, section, context, divider, actions, button, image and
rich_text (and the text objects inside them); anything else is an unsupported type."""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50  # "a maximum of 50 blocks in each message"
VIEW_BLOCKS = 100  # "a maximum of 100 blocks" in a modal or Home tab
TEXT_TYPES = ("plain_text", "mrkdwn")


def refusal(blocks: Any, *, view: bool = False) -> dict[str, Any] | None:
    """Slack's error answer for these blocks, or None when Slack would take them."""
    if blocks is None or blocks == "":
        return None
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return {"ok": False, "error": "invalid_blocks_format"}
    problems = block_problems(blocks, "/view/blocks" if view else "/blocks", view=view)
    if not problems:
        return None
    return {
        "ok": False,
        "error": "invalid_blocks",
        "errors": problems,
        "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
    }


def block_problems(blocks: list[dict[str, Any]], at: str, *, view: bool = False) -> list[str]:
    """Each broken rule as Slack words it: "what [json-pointer:/where]"."""
    problems: list[str] = []
    most = VIEW_BLOCKS if view else MESSAGE_BLOCKS
    if len(blocks) > most:
        problems.append(f"no more than {most} items allowed [json-pointer:{at}]")
    for index, block in enumerate(blocks):
        problems.extend(_block(block, f"{at}/{index}"))
    return problems


def _block(block: dict[str, Any], at: str) -> list[str]:
    kind = block.get("type")
    check = _BLOCKS.get(str(kind))
    if check is None:
        return [f"unsupported type: {kind} [json-pointer:{at}/type]"]
    problems = check(block, at)
    block_id = block.get("block_id")
    if block_id is not None and len(str(block_id)) > 255:
        problems.append(f"must be less than 256 characters [json-pointer:{at}/block_id]")
    return problems


def _text(value: Any, at: str, most: int, types: tuple[str, ...] = TEXT_TYPES) -> list[str]:
    if not isinstance(value, dict):
        return [f"must provide an object [json-pointer:{at}]"]
    if value.get("type") not in types:
        return [f"must be one of {', '.join(types)} [json-pointer:{at}/type]"]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{at}/text]"]
    if len(text) > most:
        return [f"must be less than {most + 1} characters [json-pointer:{at}/text]"]
    return []


def _header(block: dict[str, Any], at: str) -> list[str]:
    return _text(block.get("text"), f"{at}/text", 150, ("plain_text",))


def _section(block: dict[str, Any], at: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        return [f"must provide either text or fields [json-pointer:{at}]"]
    problems = [] if text is None else _text(text, f"{at}/text", 3000)
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > 10:
            problems.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
        else:
            for index, field in enumerate(fields):
                problems.extend(_text(field, f"{at}/fields/{index}", 2000))
    accessory = block.get("accessory")
    if accessory is not None:
        problems.extend(_element(accessory, f"{at}/accessory"))
    return problems


def _context(block: dict[str, Any], at: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"must provide an array of at least 1 item [json-pointer:{at}/elements]"]
    if len(elements) > 10:
        return [f"no more than 10 items allowed [json-pointer:{at}/elements]"]
    problems: list[str] = []
    for index, element in enumerate(elements):
        where = f"{at}/elements/{index}"
        if isinstance(element, dict) and element.get("type") == "image":
            problems.extend(_image_element(element, where))
        else:
            problems.extend(_text(element, where, 3000))
    return problems


def _divider(block: dict[str, Any], at: str) -> list[str]:
    return []


def _actions(block: dict[str, Any], at: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"must provide an array of at least 1 item [json-pointer:{at}/elements]"]
    if len(elements) > 25:
        return [f"no more than 25 items allowed [json-pointer:{at}/elements]"]
    problems: list[str] = []
    for index, element in enumerate(elements):
        problems.extend(_element(element, f"{at}/elements/{index}"))
    return problems


def _element(element: Any, at: str) -> list[str]:
    """An interactive element or accessory: the button and the image the app uses."""
    if not isinstance(element, dict):
        return [f"must provide an object [json-pointer:{at}]"]
    if element.get("type") == "image":
        return _image_element(element, at)
    if element.get("type") != "button":
        return [f"unsupported type: {element.get('type')} [json-pointer:{at}/type]"]
    problems = _text(element.get("text"), f"{at}/text", 75, ("plain_text",))
    for key, most in (("action_id", 255), ("value", 2000), ("url", 3000)):
        if key in element and len(str(element[key])) > most:
            problems.append(f"must be less than {most + 1} characters [json-pointer:{at}/{key}]")
    if element.get("style") not in (None, "primary", "danger"):
        problems.append(f"must be one of primary, danger [json-pointer:{at}/style]")
    return problems


def _image_element(element: dict[str, Any], at: str) -> list[str]:
    problems: list[str] = []
    if not element.get("image_url") and not element.get("slack_file"):
        problems.append(f"must provide either image_url or slack_file [json-pointer:{at}]")
    if len(str(element.get("image_url") or "")) > 3000:
        problems.append(f"must be less than 3001 characters [json-pointer:{at}/image_url]")
    alt = element.get("alt_text")
    if not isinstance(alt, str) or not alt:
        problems.append(f"must be more than 0 characters [json-pointer:{at}/alt_text]")
    elif len(alt) > 2000:
        problems.append(f"must be less than 2001 characters [json-pointer:{at}/alt_text]")
    return problems


def _image(block: dict[str, Any], at: str) -> list[str]:
    problems = _image_element(block, at)
    if block.get("title") is not None:
        problems.extend(_text(block["title"], f"{at}/title", 2000, ("plain_text",)))
    return problems


def _rich_text(block: dict[str, Any], at: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list):
        return [f"must provide an array [json-pointer:{at}/elements]"]
    return []


_BLOCKS = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
    "image": _image,
    "rich_text": _rich_text,
}
