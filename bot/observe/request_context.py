"""What a log line may say of the request being answered: its kind and its workspace, never
its body. Set by the web worker around each Slack request (a context variable: each request's
thread has its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    kind: str | None = None  # "command", "event", "action", "other"
    workspace: str | None = None  # the team id


_NONE = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("progression_request", default=_NONE)


def current_request() -> RequestContext:
    return _current.get()


@contextmanager
def answering(kind: str | None, workspace: str | None) -> Iterator[None]:
    """Log lines written inside the block name the request's kind and workspace."""
    token = _current.set(RequestContext(kind, workspace))
    try:
        yield
    finally:
        _current.reset(token)
