"""Safe text for Slack mrkdwn: what a user typed is shown, never interpreted."""

from __future__ import annotations

import re

_CONTROL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences (`<!channel>`, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    for char, entity in _CONTROL.items():
        text = text.replace(entity, char)
    return text


def echo(text: str, limit: int = 80) -> str:
    """What the user typed, on one line, shortened, escaped and safe inside a code span."""
    flat = _SPACE.sub(" ", text).strip().replace("`", "'")
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return escape(flat)


def truncate(text: str, limit: int) -> str:
    """Cut to at most `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
