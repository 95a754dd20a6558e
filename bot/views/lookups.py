"""Lookup replies: a phase, an action, a role's actions, search results."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.views.blocks import (
    CHECK_OFF_HINT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    Block,
    Item,
    Message,
    context,
    cut,
    divider,
    fit,
    footer,
    message,
    section,
    title_blocks,
)
from bot.views.help import HELP_HINT, examples
from bot.views.mrkdwn import echo, escape
from progression.lookup import role_moves
from progression.model import Action, Move, Phase, Progression, Role
from progression.search import SearchHit

_ACTION_NOUNS = ("action", "actions")
# An action's text and its next move share one section: each gets half of it, so a long
# text never pushes the next move out.
_PART = (MAX_SECTION_TEXT - 200) // 2
_MAX_NAMED = 10
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def summary(text: str) -> str:
    """Fallback text from data: as long as a header, so notifications stay one line."""
    return cut(escape(text), MAX_HEADER_TEXT)


def phase_title(phase: Phase) -> str:
    return f"Phase {phase.number} · {phase.title}"


def role_name(progression: Progression, key: str) -> str:
    role = progression.role(key)
    return role.name if role else key


def next_move_line(action: Action) -> str:
    return f":arrow_right: *Next move:* {cut(escape(action.next_move), _PART)}"


def action_lines(move: Move) -> str:
    """`*3.7*  text` and, under it, its next move."""
    return _action_lines(move.ref, move.action)


def _action_lines(ref: str, action: Action) -> str:
    text = cut(escape(action.text), _PART)
    return f"*{ref}*  {text}\n{next_move_line(action)}"


def _ref(phase: Phase, action: Action) -> str:
    # Not `Move(...).ref`: building a Move validates it, and a phase view shows dozens.
    return f"{phase.number}.{action.number}"


def phase_message(progression: Progression, phase: Phase, role_key: str | None = None) -> Message:
    """A phase's title and intro, then its actions grouped by role, each with its next move."""
    roles = [role for role in progression.roles if role_key in (None, role.key)]
    if not roles:
        raise ValueError(f"no role {role_key!r} in the progression")
    head = title_blocks(phase_title(phase))
    if phase.intro:
        head.append(section(escape(phase.intro)))
    items = [item for role in roles for item in _role_items(phase, role, narrow=bool(role_key))]
    if not items:
        items = [
            Item([section(f"Phase {phase.number} has no actions for *{escape(roles[0].name)}*.")])
        ]
    example = _example_ref(phase, role_key or "teacher")
    tail = [footer(progression, f"{CHECK_OFF_HINT} · `/progression {example}` for one action")]
    title = phase_title(phase) + (f" · {roles[0].name}" if role_key else "")
    return message(summary(title), fit(head, items, tail, _ACTION_NOUNS))


def _example_ref(phase: Phase, role_key: str) -> str:
    """An action to try `/progression 3.8` on: the role's middle one, else the phase's."""
    actions = [a for a in phase.actions if a.role == role_key] or list(phase.actions)
    return _ref(phase, actions[len(actions) // 2])


def _role_items(phase: Phase, role: Role, narrow: bool) -> list[Item]:
    """One item per action; the role's name travels with its first action, never alone."""
    actions = [action for action in phase.actions if action.role == role.key]
    items = []
    for index, action in enumerate(actions):
        ref = _ref(phase, action)
        blocks = [section(_action_lines(ref, action))]
        if index == 0:
            blocks = [divider(), section(f"*{escape(role.name)}*"), *blocks]
        more = (
            f"`/progression {ref}`" if narrow else f"`/progression phase {phase.number} {role.key}`"
        )
        items.append(Item(blocks, f"try {more}"))
    return items


def action_message(
    progression: Progression,
    move: Move,
    checked_by: Sequence[str] | None = None,
    checked_count: int | None = None,
) -> Message:
    """One action: its phase and role, its text, its next move, and who has checked it off."""
    title = f"{move.ref} · {role_name(progression, move.action.role)}"
    blocks = [
        *title_blocks(title),
        context(escape(phase_title(move.phase))),
        section(escape(move.action.text)),
        section(next_move_line(move.action)),
    ]
    if checked_by is not None or checked_count is not None:
        blocks.append(section(checked_off_line(checked_by or (), checked_count)))
    hint = f"{CHECK_OFF_HINT} · `/progression phase {move.phase.number}` for the whole phase"
    blocks.append(footer(progression, hint))
    return message(summary(f"{title}: {move.action.text}"), blocks)


def checked_off_line(checked_by: Sequence[str], checked_count: int | None) -> str:
    count = len(checked_by) if checked_count is None else checked_count
    if count == 0:
        return "Nobody in this channel has checked it off yet"
    line = f"✅ {count} in this channel {'has' if count == 1 else 'have'} checked it off"
    if count <= _MAX_NAMED and checked_by:
        line += ": " + ", ".join(mention(user) for user in checked_by[:_MAX_NAMED])
    return line


def mention(user_id: str) -> str:
    """`<@U123>` for a Slack user id; anything else is shown, never interpreted."""
    return f"<@{user_id}>" if _USER_ID.match(user_id) else escape(user_id)


def role_message(progression: Progression, role_key: str) -> Message:
    """A role's actions in every phase, grouped by phase."""
    role = progression.role(role_key)
    if role is None:
        raise ValueError(f"no role {role_key!r} in the progression")
    # The lookup index holds the moves already built: no validation per request.
    moves = role_moves(progression, role.key)
    items = [item for phase in progression.phases for item in _phase_items(phase, role)]
    if not items:
        items = [Item([section(f"No actions belong to *{escape(role.name)}* yet.")])]
    example = moves[len(moves) // 2].ref if moves else examples(progression).ref
    tail = [footer(progression, f"{CHECK_OFF_HINT} · `/progression {example}` for one action")]
    title = f"{role.name} · every phase"
    return message(summary(title), fit(title_blocks(title), items, tail, _ACTION_NOUNS))


def _phase_items(phase: Phase, role: Role) -> list[Item]:
    actions = [action for action in phase.actions if action.role == role.key]
    items = []
    for index, action in enumerate(actions):
        blocks = [section(_action_lines(_ref(phase, action), action))]
        if index == 0:
            blocks = [divider(), section(f"*{escape(phase_title(phase))}*"), *blocks]
        items.append(Item(blocks, f"try `/progression phase {phase.number} {role.key}`"))
    return items


def search_message(
    progression: Progression, query: str, hits: Sequence[SearchHit], suggestions: Sequence[str]
) -> Message:
    """Ranked matches, best first; with no match, the closest words and some examples."""
    shown = echo(query)
    if not hits:
        return _no_match(progression, shown, suggestions)
    head = [section(f"Best matches for `{shown}`")]
    items = [
        Item([section(_hit_text(progression, hit, query))], "add words to narrow it")
        for hit in hits
    ]
    refs = [hit.move.ref for hit in hits if hit.move] or [examples(progression).ref]
    tail = [context(f"`/progression {refs[0]}` for one action", HELP_HINT)]
    return message(f"Best matches for {shown}", fit(head, items, tail, ("match", "matches")))


def _hit_text(progression: Progression, hit: SearchHit, query: str) -> str:
    if hit.move is None:
        lines = [f"*Phase {hit.phase.number}* · {escape(hit.phase.title)}"]
        alias = _matched_alias(hit.phase, query) if hit.matched == "alias" else None
        if alias:
            lines.append(f"also known as _{escape(alias)}_")
        lines.append(f"`/progression phase {hit.phase.number}` shows its actions")
        return "\n".join(cut(line, _PART) for line in lines)
    role = escape(role_name(progression, hit.move.action.role))
    text = cut(escape(hit.move.action.text), _PART)
    return (
        f"*{hit.move.ref}* · {cut(role, 100)} · Phase {hit.phase.number}\n"
        f"{text}\n{next_move_line(hit.move.action)}"
    )


def _matched_alias(phase: Phase, query: str) -> str | None:
    """The alias sharing the most words with the query (SearchHit says only that one did)."""
    words = set(query.casefold().split())
    return max(phase.aliases, key=lambda a: len(words & set(a.casefold().split())), default=None)


def _no_match(progression: Progression, shown: str, suggestions: Sequence[str]) -> Message:
    lines = [f"No matches for `{shown}`."]
    if suggestions:
        close = " or ".join(f"`{echo(word, 40)}`" for word in suggestions[:5])
        lines.append(f"Did you mean {close}?")
    ex = examples(progression)
    lines.append(
        f"Try `/progression search rostering`, `/progression phase {ex.phase}` "
        f"or `/progression {ex.role}`."
    )
    blocks: list[Block] = [
        section("\n".join(lines)),
        context(HELP_HINT),
    ]
    return message(f"No matches for {shown}", blocks)
