"""Answers to `/progression` requests, one module per concern, registered by request type.

A handler takes the typed request and a `CommandContext` and returns the reply message; it may
raise `CommandError` for anything the user should fix.
"""

from __future__ import annotations

from bot.handlers.registry import HANDLERS, CommandContext, Handler, handles

__all__ = ["HANDLERS", "CommandContext", "Handler", "handles", "load_handlers"]


def load_handlers() -> dict[type, Handler]:
    """Import every handler module so that each registers what it answers."""
    from bot.handlers import campuses, lookups, managing, progress, weekly_posts  # noqa: F401

    return HANDLERS
