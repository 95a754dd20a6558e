"""The weekly nudge: one move, its next step, how to check it off. Short by design."""

from __future__ import annotations

from bot.views.blocks import Message, context, cut, message, section
from bot.views.lookups import action_lines, phase_title, role_name
from bot.views.mrkdwn import escape
from progression.model import Move, Progression
from progression.wording import counted
from scheduler.fanout import NudgeMessages

CHECK_EMOJI = "white_check_mark"


def done_line(done: int) -> str:
    """The live count that check-offs update."""
    return f":{CHECK_EMOJI}: {done} done" if done else f":{CHECK_EMOJI}: nobody yet"


def nudge_message(progression: Progression, move: Move, done: int = 0) -> Message:
    """This week's move for a role channel."""
    role = role_name(progression, move.action.role)
    title = f"*This week's next move* · {escape(role)} · {escape(phase_title(move.phase))}"
    how = (
        f"React with :{CHECK_EMOJI}: when you have done it · "
        f"`/progression {move.ref}` for more · `/progression progress` for the channel"
    )
    blocks = [
        section(cut(title, 3000)),
        section(action_lines(move)),
        context(how),
        context(done_line(done)),
    ]
    return message(f"Next move {move.ref} ({role}): {escape(move.action.next_move)}", blocks)


def celebration_message(progression: Progression, role_key: str, moves: int) -> Message:
    """Everything the channel's role had is checked off: said once, then the nudges stop."""
    role = escape(role_name(progression, role_key))
    text = (
        f":tada: *Every {role} move is checked off in this channel* ({counted(moves, 'move')}). "
        "That is the whole progression for this channel: there are no more weekly nudges."
    )
    return message(f"Every {role} move is checked off", [section(text)])


def reminder_message(progression: Progression, move: Move, done: int, people: int) -> Message:
    """The one reply in the nudge's thread when not everyone has checked its move off."""
    text = (
        f":{CHECK_EMOJI}: {done} of {people} so far for *{move.ref}*: react :{CHECK_EMOJI}: "
        "on the move above when it's done."
    )
    return message(f"{done} of {people} so far for {move.ref}", [section(text)])


# What the fan-out posts, handed to it by whoever runs it.
NUDGE_MESSAGES = NudgeMessages(nudge=nudge_message, celebration=celebration_message)
