"""Safe text for Slack mrkdwn: what a user typed is shown, never interpreted."""

from __future__ import annotations

import re

_CONTROL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPACE = re.compile(r"\s+")
# NUL, and the bidirectional embeddings, overrides and isolates that can make echoed text read
# differently from what it is (U+202A-U+202E, U+2066-U+2069).
_UNSAFE = re.compile("[\x00\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences (`<!channel>`, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    for char, entity in _CONTROL.items():
        text = text.replace(entity, char)
    return text


def echo(text: str, limit: int = 80) -> str:
    """What the user typed, on one line, shortened, escaped and safe inside a code span."""
    flat = _SPACE.sub(" ", _UNSAFE.sub("", text)).strip().replace("`", "'")
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return escape(flat)


def without_unsafe(text: str) -> str:
    """`text` without NUL and bidirectional-override characters."""
    return _UNSAFE.sub("", text)


def truncate(text: str, limit: int) -> str:
    """Cut to at most `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
