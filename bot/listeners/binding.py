"""Listeners are module-level functions whose first parameters are the app's services; Bolt
fills in the rest by name (`ack`, `body`, `context`...)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R")


def with_services(listener: Callable[..., R], *services: Any) -> Callable[..., R]:
    """`listener` with its first parameters given. Bolt reads the parameters left
    (`inspect.getfullargspec` of a partial) to know what to inject, and names a listener by its
    `__name__` in its log: the partial takes the listener's name."""
    bound = functools.partial(listener, *services)
    bound.__name__ = getattr(listener, "__name__", type(listener).__name__)  # type: ignore[attr-defined]
    return bound
