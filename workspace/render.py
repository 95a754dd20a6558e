"""Messages and App Home views to HTML: Block Kit through `workspace.blockkit` when it is
installed, else a plain, escaped rendering of the text of each block."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from markupsafe import Markup, escape


class _Fallback:
    """Text only: every block's text, escaped, so nothing the app sent is hidden."""

    class Names:
        def __init__(self, users: Mapping[str, str], channels: Mapping[str, str]) -> None:
            self.users = users
            self.channels = channels

    @staticmethod
    def render_message(message: Mapping[str, Any], names: Any) -> Markup:
        blocks = message.get("blocks") or []
        if not blocks:
            return Markup("<p>%s</p>") % message.get("text", "")
        return _Fallback._blocks(blocks)

    @staticmethod
    def render_view(view: Mapping[str, Any], names: Any) -> Markup:
        return _Fallback._blocks(view.get("blocks") or [])

    @staticmethod
    def _blocks(blocks: list[dict[str, Any]]) -> Markup:
        parts = []
        for block in blocks:
            texts = [
                block.get("text"),
                *(block.get("fields") or []),
                *(block.get("elements") or []),
            ]
            for text in texts:
                if isinstance(text, dict) and text.get("type") == "button":
                    parts.append(
                        Markup(
                            '<button type="button" data-action-id="%s" data-block-id="%s" '
                            'data-value="%s">%s</button>'
                        )
                        % (
                            text.get("action_id", ""),
                            block.get("block_id", ""),
                            text.get("value", ""),
                            (text.get("text") or {}).get("text", ""),
                        )
                    )
                elif isinstance(text, dict) and isinstance(text.get("text"), str):
                    parts.append(Markup("<p>%s</p>") % text["text"])
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                parts.append(
                    _Fallback._blocks(
                        [
                            {
                                **block,
                                "accessory": None,
                                "text": None,
                                "fields": None,
                                "elements": [accessory],
                            }
                        ]
                    )
                )
        return Markup("").join(escape(p) for p in parts)


def _module() -> ModuleType | type[_Fallback]:
    try:
        return importlib.import_module("workspace.blockkit")
    except ImportError:
        return _Fallback


def names(users: Mapping[str, str], channels: Mapping[str, str]) -> Any:
    return _module().Names(users=users, channels=channels)


def render_message(message: Mapping[str, Any], names: Any) -> Markup:
    render: Callable[..., Markup] = _module().render_message
    return render(message, names)


def render_view(view: Mapping[str, Any], names: Any) -> Markup:
    render: Callable[..., Markup] = _module().render_view
    return render(view, names)
