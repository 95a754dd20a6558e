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
FULL, EMPTY = "█", "░"
BAR_WIDTH = 12  # cells: a whole number of cells for each of 3, 4, 6 or 12 moves
MAX_ROLE_CHANNELS = 20
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
    """A role channel, per phase: its role's moves checked off (in `progress all`, by anyone
    in the channel; in your own progress, by you)."""

    channel_id: str
    role: str
    active: bool
    phases: tuple[tuple[int, int, int], ...]  # (phase, moves checked off, moves)
    checkoffs: int

    @property
    def moves_done(self) -> int:
        return sum(done for _, done, _ in self.phases)

    @property
    def moves(self) -> int:
        return sum(moves for _, _, moves in self.phases)


@dataclass(frozen=True)
class MyProgress:
    """A person's own progress: each role channel they are in, and in all the distinct moves
    of those channels' roles (12 for a teacher; 24 with a students' channel besides)."""

    channels: tuple[ChannelProgress, ...]
    done: int
    moves: int
    elsewhere: tuple[str, ...] = ()  # channels they checked off in that are not theirs


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


def bar(done: int, of: int, width: int = BAR_WIDTH) -> str:
    """`done` of `of` as a bar of `width` cells: "████░░░░░░░░"."""
    filled = 0 if of <= 0 else round(width * min(done, of) / of)
    return FULL * filled + EMPTY * (width - filled)


def percent(done: int, of: int) -> str:
    return f"{done / of:.0%}" if of > 0 else "—"


def _role_channel_block(progression: Progression, channel: ChannelProgress) -> Block:
    role = escape(role_name(progression, channel.role))
    rows = "\n".join(
        f"{'Phase ' + str(phase):<9}{bar(done, moves)}  {done} of {moves}"
        for phase, done, moves in channel.phases
    )
    return section(
        f"{channel_mention(channel.channel_id)} · *{role}* · {channel.moves_done} of "
        f"{channel.moves} ({percent(channel.moves_done, channel.moves)})\n```{rows}```"
    )


def my_progress_blocks(
    progression: Progression, mine: MyProgress, titled: bool = True
) -> list[Block]:
    """Your progress against the moves of your role channels' roles: in all, then a bar per
    role channel and phase; `titled`: it says it is yours (no header above says so)."""
    title = "*Your progress* · " if titled else ""
    if not mine.channels:
        text = (
            f"{title}You are in no role channel yet, so no moves are yours to count. "
            "When a manager subscribes your team's channel (`/progression subscribe teacher`), "
            "its moves count here."
        )
        return [section(text)]
    head = (
        f"{title}*{mine.done} of {mine.moves}* moves of your role channels "
        f"({percent(mine.done, mine.moves)})"
    )
    blocks = [section(head)]
    blocks += [_role_channel_block(progression, c) for c in mine.channels[:MAX_ROLE_CHANNELS]]
    left = len(mine.channels) - MAX_ROLE_CHANNELS
    if left > 0:
        blocks.append(context(f"…and {wording.counted(left, 'more role channel')}"))
    return blocks


def my_progress_message(progression: Progression, mine: MyProgress) -> Message:
    """`/progression progress me`: what you checked off of your role channels' moves."""
    blocks = [header("Your progress"), *my_progress_blocks(progression, mine, titled=False)]
    if mine.elsewhere:
        shown = ", ".join(channel_mention(c) for c in mine.elsewhere[:20])
        more = f" and {len(mine.elsewhere) - 20} more" if len(mine.elsewhere) > 20 else ""
        blocks.append(context(f"Also checked off in {shown}{more}, not a role channel of yours"))
    blocks.append(context("React ✅ on your role channel's weekly nudge to check a move off"))
    text = f"Your progress: {mine.done} of {wording.counted(mine.moves, 'move')} checked off"
    return message(text, blocks)


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
    progression: Progression, mine: MyProgress, moves: Sequence[HomeMove]
) -> list[Block]:
    """The personal part of App Home: your progress, then your role channels' moves."""
    blocks = [*my_progress_blocks(progression, mine), divider()]
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
