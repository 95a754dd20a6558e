"""Block Kit as HTML: pure functions from the payload an app sends to escaped, accessible markup.

`render_message` takes what the app gave `chat.postMessage`, `chat.update`, a `response_url` or
an ack; `render_view` an App Home view. Buttons carry what a `block_actions` payload needs
(`data-action-id`, `data-block-id`, `data-value`). A block or element this module does not know
is shown as a labelled placeholder, never dropped, so a missing feature is visible on the page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from workspace.mrkdwn_html import (
    Names,
    emojize_plain,
    render_control,
    render_mrkdwn,
    render_shortcode,
    unescape_slack,
)

__all__ = [
    "Names",
    "render_message",
    "render_mrkdwn",
    "render_view",
    "with_slack_ids",
]

_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)
_HEX_COLOR = re.compile(r"^#?([0-9a-f]{6}|[0-9a-f]{3})$", re.IGNORECASE)
_ATTACHMENT_COLORS = {"good": "#2eb67d", "warning": "#ecb22e", "danger": "#e01e5a"}
_BUTTON_STYLES = {"primary", "danger"}
# A payload built by hand can be malformed anywhere: such a block is shown as a placeholder
# naming it, and the rest of the message still renders.
_MALFORMED = (KeyError, TypeError, AttributeError, ValueError, IndexError)


@dataclass(frozen=True)
class _Context:
    names: Names
    heading: int  # the HTML heading level of a `header` block


def render_message(message: Mapping[str, Any], names: Names, *, heading_level: int = 3) -> Markup:
    """A message as Slack shows it: its blocks, or else its `text` as mrkdwn; then attachments."""
    context = _Context(names, heading_level)
    parts: list[Markup] = []
    blocks = _decoded(message.get("blocks"))
    if blocks:
        parts.append(_blocks(blocks, context))
    elif isinstance(message.get("text"), str) and message["text"]:
        text = message["text"]
        if message.get("mrkdwn", True) is False:
            parts.append(_div("bk-text", _plain(text)))
        else:
            parts.append(_div("bk-text", render_mrkdwn(text, names)))
    attachments = _decoded(message.get("attachments"))
    if isinstance(attachments, Sequence) and not isinstance(attachments, str):
        parts.extend(_attachment(attachment, context) for attachment in attachments)
    return Markup('<div class="bk bk-message">{}</div>').format(Markup("").join(parts))


def render_view(view: Mapping[str, Any], names: Names, *, heading_level: int = 2) -> Markup:
    """A view (`type: home`, or a modal's blocks) as Slack shows it."""
    kind = view.get("type") if isinstance(view.get("type"), str) else "view"
    body = _blocks(view.get("blocks") or [], _Context(names, heading_level))
    return Markup('<div class="bk bk-view bk-view-{}">{}</div>').format(kind, body)


def with_slack_ids(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload with a `block_id` on every block and an `action_id` on every element, as
    Slack stores a message: the ids the page shows are the ids a `block_actions` carries."""
    copy = dict(payload)
    blocks, attachments = _decoded(payload.get("blocks")), _decoded(payload.get("attachments"))
    if isinstance(blocks, list):
        copy["blocks"] = _with_ids(blocks)
    if isinstance(attachments, list):
        copy["attachments"] = [
            {**a, "blocks": _with_ids(a["blocks"])}
            if isinstance(a, Mapping) and isinstance(a.get("blocks"), list)
            else a
            for a in attachments
        ]
    return copy


def block_id_of(block: Mapping[str, Any], index: int) -> str:
    """The block's own id, or the one Slack would have given it (stable for the same block)."""
    given = block.get("block_id")
    if isinstance(given, str) and given:
        return given
    return _digest(index, block)


def action_id_of(element: Mapping[str, Any], block_id: str, index: int) -> str:
    given = element.get("action_id")
    if isinstance(given, str) and given:
        return given
    return _digest(block_id, index, element)


def _decoded(value: Any) -> Any:
    """`blocks` and `attachments` as a form-encoded Web API call carries them: a JSON string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _digest(*parts: Any) -> str:
    data = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha1(data).hexdigest()[:6]


def _with_ids(blocks: list[Any]) -> list[Any]:
    filled = []
    for index, block in enumerate(blocks):
        if not isinstance(block, Mapping):
            filled.append(block)
            continue
        block_id = block_id_of(block, index)
        copy = {**block, "block_id": block_id}
        if isinstance(block.get("accessory"), Mapping) and block["accessory"].get("type"):
            accessory = block["accessory"]
            copy["accessory"] = {**accessory, "action_id": action_id_of(accessory, block_id, 0)}
        if block.get("type") == "actions" and isinstance(block.get("elements"), list):
            copy["elements"] = [
                {**e, "action_id": action_id_of(e, block_id, i)} if isinstance(e, Mapping) else e
                for i, e in enumerate(block["elements"])
            ]
        filled.append(copy)
    return filled


# --- blocks -----------------------------------------------------------------------------


def _blocks(blocks: Any, context: _Context) -> Markup:
    blocks = _decoded(blocks)
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        return _unsupported("block", "blocks that are not a list")
    return Markup("").join(_block(block, index, context) for index, block in enumerate(blocks))


def _block(block: Any, index: int, context: _Context) -> Markup:
    if not isinstance(block, Mapping):
        return _unsupported("block", type(block).__name__)
    kind = block.get("type")
    render = _BLOCKS.get(kind) if isinstance(kind, str) else None
    if render is None:
        return _unsupported("block", str(kind))
    try:
        return render(block, block_id_of(block, index), context)
    except _MALFORMED:
        return _unsupported("block", f"{kind} (malformed)")


def _header(block: Mapping[str, Any], block_id: str, context: _Context) -> Markup:
    level = min(max(context.heading, 1), 6)
    return Markup('<h{0} class="bk-block bk-header" data-block-id="{1}">{2}</h{0}>').format(
        level, block_id, _phrase(block["text"])
    )


def _section(block: Mapping[str, Any], block_id: str, context: _Context) -> Markup:
    main: list[Markup] = []
    if block.get("text"):
        main.append(_div("bk-text", _text(block["text"], context)))
    fields = block.get("fields") or []
    if fields:
        cells = Markup("").join(_div("bk-field", _text(field, context)) for field in fields)
        main.append(_div("bk-fields", cells))
    if not main:
        raise ValueError("a section with neither text nor fields")
    body = _div("bk-section-main", Markup("").join(main))
    accessory = block.get("accessory")
    if accessory:
        body += _div("bk-accessory", _element(accessory, block_id, 0, context))
    return Markup('<div class="bk-block bk-section" data-block-id="{}">{}</div>').format(
        block_id, body
    )


def _context_block(block: Mapping[str, Any], block_id: str, context: _Context) -> Markup:
    items = []
    for element in block["elements"]:
        if element.get("type") == "image":
            items.append(_image(element, "bk-context-image"))
        elif element.get("type") in ("mrkdwn", "plain_text"):
            items.append(_div("bk-context-item", _text(element, context)))
        else:
            items.append(_unsupported("element", str(element.get("type"))))
    return Markup('<div class="bk-block bk-context" data-block-id="{}">{}</div>').format(
        block_id, Markup("").join(items)
    )


def _divider(block: Mapping[str, Any], block_id: str, context: _Context) -> Markup:
    return Markup('<hr class="bk-block bk-divider" data-block-id="{}">').format(block_id)


def _actions(block: Mapping[str, Any], block_id: str, context: _Context) -> Markup:
    elements = Markup("").join(
        _element(element, block_id, index, context)
        for index, element in enumerate(block["elements"])
    )
    return Markup('<div class="bk-block bk-actions" data-block-id="{}">{}</div>').format(
        block_id, elements
    )


def _image_block(block: Mapping[str, Any], block_id: str, context: _Context) -> Markup:
    title = block.get("title")
    caption = Markup("<figcaption>{}</figcaption>").format(_phrase(title)) if title else Markup()
    return Markup('<figure class="bk-block bk-image" data-block-id="{}">{}{}</figure>').format(
        block_id, caption, _image(block, "bk-image-full")
    )


# --- elements and text objects -----------------------------------------------------------


def _element(element: Any, block_id: str, index: int, context: _Context) -> Markup:
    kind = element.get("type") if isinstance(element, Mapping) else None
    if kind == "button":
        return _button(element, block_id, index, context)
    if kind == "image":
        return _image(element, "bk-accessory-image")
    return _unsupported("element", str(kind))


def _button(element: Mapping[str, Any], block_id: str, index: int, context: _Context) -> Markup:
    label = _phrase(element["text"])
    if not label.striptags().strip():
        return _unsupported("element", "button with no text")
    style = element.get("style")
    classes = "bk-button" + (f" bk-button-{style}" if style in _BUTTON_STYLES else "")
    attributes = Markup('class="{}" data-action-id="{}" data-block-id="{}"').format(
        classes, action_id_of(element, block_id, index), block_id
    )
    if isinstance(element.get("value"), str):
        attributes += Markup(' data-value="{}"').format(element["value"])
    if isinstance(element.get("accessibility_label"), str) and element["accessibility_label"]:
        attributes += Markup(' aria-label="{}"').format(element["accessibility_label"])
    url = element.get("url")
    if isinstance(url, str) and _SAFE_URL.match(url):
        return Markup('<a {} href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(
            attributes, url, label
        )
    return Markup('<button type="button" {}>{}</button>').format(attributes, label)


def _image(element: Mapping[str, Any], css_class: str) -> Markup:
    alt = element.get("alt_text") if isinstance(element.get("alt_text"), str) else ""
    url = element.get("image_url")
    if isinstance(url, str) and _SAFE_URL.match(url):
        return Markup('<img class="{}" src="{}" alt="{}" loading="lazy">').format(
            css_class, url, alt
        )
    # A `slack_file` or a URL we will not load: the alt text still says what it shows.
    return Markup('<span class="bk-image-missing {}" role="img" aria-label="{}">{}</span>').format(
        css_class, alt or "image", alt or "image"
    )


def _text(text: Any, context: _Context) -> Markup:
    if not isinstance(text, Mapping) or not isinstance(text.get("text"), str):
        return _unsupported("text", type(text).__name__)
    kind = text.get("type")
    if kind == "mrkdwn":
        return render_mrkdwn(text["text"], context.names, verbatim=bool(text.get("verbatim")))
    if kind == "plain_text":
        # Slack turns `:shortcodes:` in plain_text into emoji unless `emoji` is false.
        return _plain(text["text"], emoji=text.get("emoji", True) is not False)
    return _unsupported("text", str(kind))


def _phrase(text: Any) -> Markup:
    """A text object where HTML allows no paragraphs (headings, buttons, captions): plain, as
    Slack requires there; a `mrkdwn` one is shown as its text rather than dropped."""
    if not isinstance(text, Mapping) or not isinstance(text.get("text"), str):
        return _unsupported("text", type(text).__name__)
    if text.get("type") not in ("plain_text", "mrkdwn"):
        return _unsupported("text", str(text.get("type")))
    return _plain(text["text"], emoji=text.get("emoji", True) is not False)


def _plain(text: str, emoji: bool = True) -> Markup:
    lines = text.split("\n")
    if emoji:
        return Markup("<br>").join(emojize_plain(line) for line in lines)
    return Markup("<br>").join(lines)


def _div(css_class: str, body: Markup) -> Markup:
    return Markup('<div class="{}">{}</div>').format(css_class, body)


def _unsupported(what: str, kind: str) -> Markup:
    tag = "div" if what == "block" else "span"
    return Markup('<{0} class="bk-unsupported" role="note">Unsupported {1}: {2}</{0}>').format(
        tag, what, kind
    )


# --- rich text: what Slack's own composer sends ------------------------------------------


def _rich_text(block: Mapping[str, Any], block_id: str, context: _Context) -> Markup:
    body = Markup("").join(_rich_part(part, context) for part in block["elements"])
    return Markup('<div class="bk-block bk-rich-text" data-block-id="{}">{}</div>').format(
        block_id, body
    )


def _rich_part(part: Mapping[str, Any], context: _Context) -> Markup:
    kind = part.get("type")
    inline = Markup("").join(_rich_inline(e, context) for e in part.get("elements", []))
    if kind == "rich_text_section":
        return Markup('<p class="bk-p">{}</p>').format(inline)
    if kind == "rich_text_preformatted":
        return Markup('<pre class="bk-pre">{}</pre>').format(inline)
    if kind == "rich_text_quote":
        return Markup('<blockquote class="bk-quote">{}</blockquote>').format(inline)
    if kind == "rich_text_list":
        tag = "ol" if part.get("style") == "ordered" else "ul"
        items = Markup("").join(
            Markup("<li>{}</li>").format(
                Markup("").join(_rich_inline(e, context) for e in item.get("elements", []))
            )
            for item in part.get("elements", [])
        )
        indent = min(int(part.get("indent", 0)), 6)
        return Markup('<{0} class="bk-rich-list bk-indent-{1}">{2}</{0}>').format(
            tag, indent, items
        )
    return _unsupported("element", str(kind))


def _rich_inline(element: Mapping[str, Any], context: _Context) -> Markup:
    kind = element.get("type")
    names = context.names
    if kind == "text":
        shown = _plain(element["text"], emoji=False)
    elif kind == "link":
        label = _plain(element.get("text") or element["url"], emoji=False)
        if _SAFE_URL.match(element["url"]):
            shown = Markup(
                '<a class="bk-link" href="{}" target="_blank" rel="noopener noreferrer">{}</a>'
            ).format(element["url"], label)
        else:
            shown = label
    elif kind == "emoji":
        shown = render_shortcode(f":{element['name']}:") or _unicode_emoji(element)
    elif kind in _RICH_CONTROLS:
        shown = render_control(_RICH_CONTROLS[kind](element), names)
    else:
        shown = _unsupported("element", str(kind))
    return _styled(shown, element.get("style") or {})


_RICH_CONTROLS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "user": lambda e: f"@{e['user_id']}",
    "channel": lambda e: f"#{e['channel_id']}",
    "usergroup": lambda e: f"!subteam^{e['usergroup_id']}",
    "broadcast": lambda e: f"!{e['range']}",
    "date": lambda e: f"!date^{e['timestamp']}^{e.get('format', '')}|{e.get('fallback', '')}",
}


def _unicode_emoji(element: Mapping[str, Any]) -> Markup:
    """A custom or newer emoji: its code points when given (`1f600-1f3fb`), else `:name:`."""
    points = str(element.get("unicode") or "")
    if points:
        return Markup("{}").format("".join(chr(int(point, 16)) for point in points.split("-")))
    return Markup("{}").format(f":{element['name']}:")


def _styled(shown: Markup, style: Mapping[str, Any]) -> Markup:
    for key, tag in (("code", "code"), ("strike", "del"), ("italic", "em"), ("bold", "strong")):
        if style.get(key):
            shown = Markup("<{0}>{1}</{0}>").format(tag, shown)
    return shown


_BLOCKS: dict[str, Callable[[Mapping[str, Any], str, _Context], Markup]] = {
    "header": _header,
    "section": _section,
    "context": _context_block,
    "divider": _divider,
    "actions": _actions,
    "image": _image_block,
    "rich_text": _rich_text,
}


# --- attachments: the older way some apps still send colour bars and fields ---------------


def _attachment(attachment: Any, context: _Context) -> Markup:
    if not isinstance(attachment, Mapping):
        return _unsupported("block", "attachment")
    names = context.names
    parts: list[Markup] = []
    for key, css in (("pretext", "bk-attachment-pretext"), ("title", "bk-attachment-title")):
        if isinstance(attachment.get(key), str):
            parts.append(_div(css, render_mrkdwn(attachment[key], names)))
    if isinstance(attachment.get("text"), str):
        parts.append(_div("bk-text", render_mrkdwn(attachment["text"], names)))
    for field in attachment.get("fields") or []:
        if isinstance(field, Mapping):
            title = Markup("<strong>{}</strong>").format(
                unescape_slack(str(field.get("title", "")))
            )
            value = render_mrkdwn(str(field.get("value", "")), names)
            parts.append(_div("bk-field", title + value))
    if attachment.get("blocks"):
        parts.append(_blocks(attachment["blocks"], context))
    if isinstance(attachment.get("footer"), str):
        parts.append(_div("bk-context", render_mrkdwn(attachment["footer"], names)))
    if not parts and isinstance(attachment.get("fallback"), str):
        parts.append(_div("bk-text", _plain(attachment["fallback"])))
    color = attachment.get("color")
    color = _ATTACHMENT_COLORS.get(str(color), str(color))
    hex_color = _HEX_COLOR.match(color)
    style = Markup(' style="border-left-color: #{}"').format(hex_color[1]) if hex_color else ""
    return Markup('<div class="bk-attachment"{}>{}</div>').format(style, Markup("").join(parts))
