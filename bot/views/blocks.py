"""Block Kit pieces that stay inside Slack's limits whatever the progression holds.

Every builder here cuts its text to Slack's limits, and `fit` cuts a list of items so a
message never passes `MAX_BLOCKS`, ending with a line that says what was left out and which
command shows it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.views.mrkdwn import escape, truncate
from progression.model import Progression

Block = dict[str, Any]
Message = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
# Slack cuts `text` at 40,000, but notifications and screen readers only use its start.
MAX_FALLBACK_TEXT = 4000
# One block stays free for the "Share in channel" button or the "Shared by" line.
RESERVED_BLOCKS = 1

CHECK_OFF_HINT = "Check a move off by reacting ✅ on its weekly nudge"

_BROKEN_ENTITY = re.compile(r"&[a-z]{0,3}…$")
_EMPHASIS = re.compile(r"(?<!\w)([*_~])(?=\S)(.+?)(?<=\S)\1(?!\w)")
_SPACE = re.compile(r"\s+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def cut(text: str, limit: int) -> str:
    """`truncate` for escaped mrkdwn: a cut never leaves half of an `&amp;` behind."""
    short = truncate(text, limit)
    return short if short == text else _BROKEN_ENTITY.sub("…", short)


def strip_emphasis(text: str) -> str:
    """`_When appropriate_` as plain text, for headers and notifications."""
    return _EMPHASIS.sub(r"\2", text)


def fallback(text: str) -> str:
    """The message's `text`: one short plain line; `text` must already be escaped."""
    return cut(_plain(text), MAX_FALLBACK_TEXT)


def message(text: str, blocks: list[Block]) -> Message:
    return {"text": fallback(text), "blocks": blocks}


def _plain(text: str) -> str:
    return _SPACE.sub(" ", strip_emphasis(text)).strip() or "…"


def header(text: str) -> Block:
    """A header from raw data text (plain_text shows `&` as is, so nothing is escaped)."""
    plain = truncate(_plain(text), MAX_HEADER_TEXT)
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def title_blocks(text: str) -> list[Block]:
    """A header, and the whole title in a section when the header had to cut it."""
    if len(_plain(text)) > MAX_HEADER_TEXT:
        return [header(text), section(escape(text))]
    return [header(text)]


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, MAX_SECTION_TEXT)}}


def context(*texts: str) -> Block:
    elements = [
        {"type": "mrkdwn", "text": cut(text, MAX_SECTION_TEXT)}
        for text in texts[:MAX_CONTEXT_ELEMENTS]
        if text
    ]
    return {"type": "context", "elements": elements}


def divider() -> Block:
    return {"type": "divider"}


def source_link(progression: Progression) -> str:
    """`<https://www.thepttoolbox.com/…|thepttoolbox.com/…>`, or "" when there is no source."""
    if not progression.source:
        return ""
    url = (
        progression.source
        if _SCHEME.match(progression.source)
        else ("https://" + progression.source)
    )
    label = escape(truncate(_SCHEME.sub("", url).removeprefix("www.").rstrip("/"), 80))
    if len(url) > 1000 or "|" in url or _SPACE.search(url):
        return label  # not something Slack can link; still say where to look
    return f"<{escape(url)}|{label}>"


def footer(progression: Progression, hint: str) -> Block:
    return context(*(text for text in (source_link(progression), hint) if text))


@dataclass(frozen=True)
class Item:
    """Blocks shown together, never split by a cut; `more` says what shows them otherwise."""

    blocks: list[Block]
    more: str = ""


def fit(
    head: list[Block], items: Sequence[Item], tail: list[Block], nouns: tuple[str, str]
) -> list[Block]:
    """`head + items + tail`, cutting items so the message keeps room for a share button."""
    room = MAX_BLOCKS - RESERVED_BLOCKS - len(head) - len(tail)
    if sum(len(item.blocks) for item in items) <= room:
        return [*head, *(block for item in items for block in item.blocks), *tail]
    room -= 1  # for the line that says what was left out
    shown: list[Block] = []
    count = 0
    for item in items:
        if len(shown) + len(item.blocks) > room:
            break
        shown.extend(item.blocks)
        count += 1
    left = len(items) - count
    line = f"…and {left} more {nouns[0] if left == 1 else nouns[1]}"
    if items[count].more:
        line += f": {items[count].more}"
    return [*head, *shown, context(line), *tail]
