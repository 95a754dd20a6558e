"""Reading rendered Block Kit HTML as a browser would: elements, attributes, visible text."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"br", "hr", "img"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text a person sees (aria-hidden parts included, as they are on screen)."""
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> list[Element]:
        found: list[Element] = [self]
        for child in self.children:
            if isinstance(child, Element):
                found.extend(child.iter())
        return found

    def find_all(self, tag: str | None = None, css_class: str | None = None) -> list[Element]:
        return [
            e
            for e in self.iter()[1:]
            if (tag is None or e.tag == tag) and (css_class is None or css_class in e.classes)
        ]

    def accessible_name(self) -> str:
        """aria-label, else the text without what is hidden from screen readers."""
        if self.attrs.get("aria-label"):
            return self.attrs["aria-label"]
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.attrs.get("aria-hidden") != "true":
                parts.append(child.attrs.get("alt", "") if child.tag == "img" else "")
                parts.append(child.accessible_name() if child.tag != "img" else "")
        return re.sub(r"\s+", " ", "".join(parts)).strip()


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Element:
    """The element tree; fails on a tag closed out of order (markup we built wrong)."""
    builder = _Builder()
    builder.feed(str(markup))
    builder.close()
    assert builder.stack == [builder.root], f"unclosed: {[e.tag for e in builder.stack[1:]]}"
    return builder.root


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", str(markup)))
