"""The progression as plain terminal text: the same content as the Slack replies."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from progression.model import Action, Move, Phase, Progression, Role
from progression.search import SearchHit

# Emphasis only where Slack would render it: markers hugging a word, not `a * b`.
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~])")


# What a wrapped line's continuation hangs under: its indent, then a leading move reference
# (`3.8   `) or label (`Next move: `), so the text reads as a column beside it.
_HANG = re.compile(r"^( *)(\d+\.\d+ +|[A-Z][\w ]{0,24}: +)?")


def wrap(text: str, width: int) -> str:
    """Each line of `text` wrapped to `width` columns, continuations under its text."""
    wrapped: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            wrapped.append(line)
            continue
        label = _HANG.match(line)
        hang = " " * min(label.end() if label else 0, width // 2)
        wrapped += textwrap.wrap(
            line,
            width,
            subsequent_indent=hang,
            break_long_words=False,  # a URL stays whole, and findable
            break_on_hyphens=False,
        )
    return "\n".join(wrapped)


def plain(text: str) -> str:
    """Mrkdwn emphasis removed: `_When appropriate_` -> `When appropriate`."""
    previous = None
    while previous != text:  # nested emphasis such as `*_both_*`
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return text


def _role_name(progression: Progression, key: str) -> str:
    role = progression.role(key)
    return role.name if role else key


def _phase_heading(phase: Phase) -> str:
    return f"Phase {phase.number}: {plain(phase.title)}"


def _action_lines(phase: Phase, action: Action) -> list[str]:
    ref = f"{phase.number}.{action.number}"
    return [
        f"  {ref:<5} {plain(action.text)}",
        f"  {'':<5} Next move: {plain(action.next_move)}",
    ]


def _grouped_by_role(progression: Progression, phase: Phase, role: Role | None) -> list[str]:
    lines: list[str] = []
    current: str | None = None
    for action in phase.actions:
        if role is not None and action.role != role.key:
            continue
        if action.role != current:
            current = action.role
            lines += ["", _role_name(progression, action.role)]
        lines += _action_lines(phase, action)
    return lines


def phase_text(progression: Progression, phase: Phase, role: Role | None = None) -> str:
    """Title, intro and the actions grouped by role (only `role`'s when given)."""
    heading = _phase_heading(phase) + (f" ({role.name})" if role else "")
    lines = [heading]
    if phase.aliases:
        lines.append("Also known as: " + "; ".join(plain(a) for a in phase.aliases))
    if phase.intro:
        lines.append(plain(phase.intro))
    actions = _grouped_by_role(progression, phase, role)
    if not actions and role is not None:
        actions = ["", f"No {role.name} actions in phase {phase.number}."]
    lines += actions
    return _with_source(progression, lines)


def move_text(progression: Progression, move: Move) -> str:
    """One action with its next move, its phase and its role."""
    lines = [
        f"{move.ref}  {_role_name(progression, move.action.role)}",
        _phase_heading(move.phase),
        "",
        plain(move.action.text),
        f"Next move: {plain(move.action.next_move)}",
    ]
    return _with_source(progression, lines)


def role_text(progression: Progression, role: Role) -> str:
    """The role's actions across all phases."""
    lines = [role.name]
    for phase in progression.phases:
        actions = [a for a in phase.actions if a.role == role.key]
        if not actions:
            continue
        lines += ["", _phase_heading(phase)]
        for action in actions:
            lines += _action_lines(phase, action)
    return _with_source(progression, lines)


def search_text(
    progression: Progression, query: str, hits: Sequence[SearchHit], suggestions: Sequence[str]
) -> str:
    """Search results, or what was not found and the closest words."""
    shown = " ".join(query.split())
    if not hits:
        lines = [f'No match for "{shown}".']
        if suggestions:
            lines.append("Did you mean: " + ", ".join(suggestions) + "?")
        else:
            lines.append("Try a word from an action or a phase title, such as a tool or a routine.")
        return "\n".join(lines)
    count = f"{len(hits)} match" + ("" if len(hits) == 1 else "es")
    lines = [f'Search "{shown}": {count}']
    for hit in hits:
        lines += ["", *_hit_lines(progression, hit)]
    return "\n".join(lines)


def _hit_lines(progression: Progression, hit: SearchHit) -> list[str]:
    if hit.move is None:
        lines = [_phase_heading(hit.phase)]
        if hit.matched == "alias" and hit.phase.aliases:
            lines.append("  Also known as: " + "; ".join(plain(a) for a in hit.phase.aliases))
        lines.append(f"  progression-bot show {hit.phase.number}")
        return lines
    action = hit.move.action
    return [
        f"{hit.move.ref}  {_role_name(progression, action.role)}, {_phase_heading(hit.phase)}",
        f"  {plain(action.text)}",
        f"  Next move: {plain(action.next_move)}",
    ]


def _with_source(progression: Progression, lines: list[str]) -> str:
    if progression.source:
        lines = [*lines, "", f"More: {progression.source}"]
    return "\n".join(lines)
