"""Progress: a channel's posted moves and counts, a person's grid, the workspace, App Home."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.views.blocks import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    RESERVED_BLOCKS,
    Block,
    Message,
    context,
    cut,
    divider,
    header,
    message,
    section,
)
from bot.views.lookups import role_name
from bot.views.mrkdwn import escape
from progression import wording
from progression.model import Move, Progression

MARK_DONE_ACTION = "home_mark_done"
UNDO_ACTION = "home_undo"
DONE, NOT_DONE = "✓", "·"
_MOVE_TEXT = 160


@dataclass(frozen=True)
class PostedMove:
    """A nudge posted to the channel, with how many have checked its move off there."""

    week: str
    move: Move
    done: int
    confirmed: bool = True


@dataclass(frozen=True)
class ChannelProgress:
    """A role channel in `progress all`: per phase, moves checked off of the role's moves."""

    channel_id: str
    role: str
    active: bool
    phases: tuple[tuple[int, int, int], ...]  # (phase, moves checked off, moves)
    checkoffs: int


@dataclass(frozen=True)
class HomeMove:
    """A role channel's latest nudge on someone's App Home, with their own state."""

    channel_id: str
    role: str
    move: Move
    ts: str
    week: str
    this_week: bool
    done_by_me: bool
    done: int
    by_reaction: bool = False  # checked off only by a reaction: undone by removing it


def channel_mention(channel_id: str) -> str:
    return f"<#{channel_id}>" if channel_id.isalnum() else escape(channel_id)


def _move_line(move: Move) -> str:
    return f"*{move.ref}* {cut(escape(move.action.text), _MOVE_TEXT)}"


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count(done: int) -> str:
    return f"✅ {done} done" if done else "nobody yet"


def packed_sections(lines: Iterable[str], room: int) -> list[Block]:
    """Lines in as few sections as fit, at most `room` blocks (the last one says what's cut)."""
    texts: list[str] = []
    for line in lines:
        line = cut(line, MAX_SECTION_TEXT)
        if texts and len(texts[-1]) + 1 + len(line) <= MAX_SECTION_TEXT:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    if len(texts) > room:
        left = wording.counted(len(texts) - room + 1, "more section")
        texts = [*texts[: room - 1], f"…and {left}"]
    return [section(text) for text in texts]


def channel_progress_message(
    progression: Progression,
    role: str,
    posted: Sequence[PostedMove],
    next_move: Move | None,
    next_at: datetime | None,
    celebrated: bool,
) -> Message:
    """`/progression progress` in a role channel."""
    title = f"{role_name(progression, role)} moves in this channel"
    lines = [
        f"{_first_up(wording.short_week(p.week))} · {_move_line(p.move)} · {_count(p.done)}"
        + ("" if p.confirmed else " · _post unconfirmed_")
        for p in posted
    ] or ["No moves posted here yet."]
    if next_move is not None:
        when = f" on {wording.when(next_at)}" if next_at else ""
        upcoming = f":arrow_right: *Next*{when}: {_move_line(next_move)}"
    elif celebrated:
        upcoming = ":tada: Every move is checked off in this channel."
    else:
        upcoming = "Nothing more to post here."
    tail = [section(upcoming), context("`/progression progress me` shows your own check-offs")]
    room = MAX_BLOCKS - RESERVED_BLOCKS - 1 - len(tail)
    blocks = [header(title), *packed_sections(lines, room), *tail]
    return message(title, blocks)


def progress_grid(progression: Progression, done: set[str]) -> str:
    """A phases x actions grid in a code block: ✓ checked off, · not yet."""
    width = max(len(phase.actions) for phase in progression.phases)
    numbers = sorted({a.number for phase in progression.phases for a in phase.actions})[:width]
    label = max(len(f"P{phase.number}") for phase in progression.phases)
    rows = [" " * label + "".join(f"{n:>3}" for n in numbers)]
    for phase in progression.phases:
        cells = "".join(
            f"{(DONE if f'{phase.number}.{n}' in done else NOT_DONE) if phase.action(n) else '':>3}"
            for n in numbers
        )
        checked = sum(1 for a in phase.actions if f"{phase.number}.{a.number}" in done)
        rows.append(f"{'P' + str(phase.number):<{label}}{cells}   {checked}/{len(phase.actions)}")
    return "```" + "\n".join(rows) + "```"


def role_legend(progression: Progression) -> str:
    """Which actions belong to which role, from the first phase: "1-3 Systems Level Planning"."""
    spans: dict[str, list[int]] = {}
    for action in progression.phases[0].actions:
        spans.setdefault(action.role, []).append(action.number)
    parts = [
        f"{min(n)}-{max(n)} {role_name(progression, role)}"
        if len(n) > 1
        else f"{n[0]} {role_name(progression, role)}"
        for role, n in spans.items()
    ]
    return escape("Actions: " + ", ".join(parts))


def my_progress_blocks(progression: Progression, done: set[str]) -> list[Block]:
    total = sum(len(phase.actions) for phase in progression.phases)
    checked = sum(1 for move in progression.moves() if move.ref in done)
    return [
        section(f"*Your check-offs* · {checked} of {total}\n{progress_grid(progression, done)}"),
        context(role_legend(progression)),
    ]


def my_progress_message(
    progression: Progression, done: set[str], channels: Sequence[str]
) -> Message:
    """`/progression progress me`: what you checked off, by phase, in any channel."""
    blocks = [header("Your progress"), *my_progress_blocks(progression, done)]
    if channels:
        shown = ", ".join(channel_mention(c) for c in channels[:20])
        more = f" and {len(channels) - 20} more" if len(channels) > 20 else ""
        blocks.append(context(f"Checked off in {shown}{more}"))
    else:
        blocks.append(context("React ✅ on a weekly nudge to check a move off"))
    return message(f"Your progress: {wording.counted(len(done), 'move')} checked off", blocks)


def workspace_progress_message(
    progression: Progression, rows: Sequence[ChannelProgress]
) -> Message:
    """`/progression progress all`: every role channel, by phase."""
    lines = []
    for row in rows:
        phases = " · ".join(f"P{p} {checked}/{moves}" for p, checked, moves in row.phases)
        state = "" if row.active else " · _inactive_"
        lines.append(
            f"{channel_mention(row.channel_id)} · *{escape(role_name(progression, row.role))}*"
            f" · {phases} · {wording.counted(row.checkoffs, 'check-off')}{state}"
        )
    if not lines:
        lines = ["No role channels yet: `/progression subscribe teacher` in a channel starts one."]
    tail = [context("Per phase: the role's moves checked off by someone in the channel")]
    room = MAX_BLOCKS - RESERVED_BLOCKS - 1 - len(tail)
    blocks = [header("Progress by role channel"), *packed_sections(lines, room), *tail]
    return message(f"Progress in {wording.counted(len(rows), 'role channel')}", blocks)


def home_move_block(progression: Progression, item: HomeMove) -> Block:
    """A role channel's move with a "Mark done" (or "Undo") button beside it."""
    when = "This week" if item.this_week else f"Latest ({wording.short_week(item.week)})"
    role = escape(role_name(progression, item.role))
    text = (
        f"{when} in {channel_mention(item.channel_id)} · {role}\n{_move_line(item.move)}\n"
        f"{_count(item.done)}" + (" · you checked it off" if item.done_by_me else "")
    )
    if item.by_reaction:
        # Undo here would not take back the reaction on the nudge: say where to undo it.
        return section(text + " with a reaction (remove it on the nudge to undo)")
    action, label, style = (
        (UNDO_ACTION, "Undo", None)
        if item.done_by_me
        else (MARK_DONE_ACTION, "Mark done", "primary")
    )
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action,
        "value": f"{item.channel_id}|{item.ts}",
    }
    if style:
        button["style"] = style
    block = section(text)
    block["accessory"] = button
    return block


def home_personal_blocks(
    progression: Progression, done: set[str], moves: Sequence[HomeMove]
) -> list[Block]:
    """The personal top of App Home: your grid, then your role channels' moves."""
    blocks = [*my_progress_blocks(progression, done), divider()]
    if moves:
        blocks.append(section("*This week's moves in your role channels*"))
        blocks.extend(home_move_block(progression, item) for item in moves[:15])
    else:
        blocks.append(
            section(
                "No role channel moves for you yet: the role channels you are a member of show "
                "their latest move here."
            )
        )
    blocks.append(divider())
    return blocks
