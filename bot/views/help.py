"""Help, errors and the App Home: what `/progression` can do, with examples that work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.views.blocks import (
    CHECK_OFF_HINT,
    Block,
    Message,
    context,
    divider,
    footer,
    header,
    message,
    section,
)
from bot.views.mrkdwn import escape
from progression.model import Progression
from progression.wording import counted

if TYPE_CHECKING:
    from bot.grammar import CommandError

HELP_HINT = "`/progression help` shows everything"


@dataclass(frozen=True)
class Examples:
    """Lookups that exist in this progression, so every example in help answers."""

    phase: int
    role: str
    action: int
    phases: str  # for `subscribe teacher phase 2,3`

    @property
    def ref(self) -> str:
        return f"{self.phase}.{self.action}"


def examples(progression: Progression) -> Examples:
    phase = progression.phases[min(2, len(progression.phases) - 1)]
    keys = [key for key in dict.fromkeys(action.role for action in phase.actions)]
    role = "teacher" if "teacher" in keys else keys[len(keys) // 2]
    actions = [action for action in phase.actions if action.role == role]
    numbers = [str(p.number) for p in progression.phases[1:3]] or [str(phase.number)]
    return Examples(phase.number, role, actions[len(actions) // 2].number, ",".join(numbers))


def help_message(progression: Progression) -> Message:
    """Every lookup with an example, then the weekly nudges and the managers' commands."""
    blocks = [header("What /progression can do"), *_help_sections(progression)]
    return message("What /progression can do", blocks)


def _help_sections(progression: Progression) -> list[Block]:
    ex = examples(progression)
    phase, role = ex.phase, ex.role
    lookups = [
        f"Look up the *{escape(progression.name)}* ({_size(progression)}):",
        "`/progression` or `/progression help`: this help",
        f"`/progression phase {phase}`: a phase, its actions by role, each with its next move",
        f"`/progression phase {phase} {role}`: one role's actions in a phase",
        f"`/progression {ex.ref}` or `/progression phase {phase} action {ex.action}`: "
        "one action, its next move, and who here has checked it off",
        f"`/progression {role}` or `/progression role {role}`: a role's actions in every phase",
        "`/progression search rostering`: actions, next moves and phase titles, best first",
        f"Add `share` (`/progression phase {phase} share`) to post the answer in the channel.",
    ]
    nudges = [
        "*Weekly nudges*, in a role channel:",
        "`/progression next`: this week's move and the one coming next",
        "`/progression progress`: the moves posted so far, how many checked each off",
        "`/progression progress me`: your own progress on your role channels' moves",
        "`/progression progress campus`: your campus's channels, this week's moves, how many "
        "checked each off, and what needs attention",
        "`/progression campus`: this channel's campus; `/progression campuses`: every campus "
        "and its channels",
        "`/progression digest`: when the leaders' weekly digest goes out next",
        f"{CHECK_OFF_HINT}.",
    ]
    managers = [
        "*For managers* (workspace admins and owners):",
        f"`/progression subscribe {role} [phase {ex.phases}]`: this channel gets the {role} "
        "moves weekly (of those phases only, if named); its campus is read from the channel's "
        f"name, or named: `/progression subscribe {role} campus Lincoln Elementary`",
        "`/progression unsubscribe`, `/progression subscriptions`: stop; list every channel",
        "`/progression campus Lincoln Elementary`: name this channel's campus",
        "`/progression schedule monday 07:30 America/Chicago`: when nudges go out",
        "`/progression digest friday 14:00`, `/progression digest off`: when the leaders' "
        "weekly digest goes out",
        "`/progression remind thursday`, `/progression remind off`: a reminder in the nudge's "
        "thread when not everyone has checked it off",
        "`/progression skip 2026-12-21 2027-01-01`, `/progression skips`, "
        "`/progression unskip 2026-12-21`: school breaks",
        "`/progression preview`: this channel's next nudge, as it will be posted",
        "`/progression progress all`: the workspace by role channel and phase",
    ]
    return [
        section("\n".join(lookups)),
        divider(),
        section("\n".join(nudges)),
        section("\n".join(managers)),
        footer(progression, "Replies are private unless you share them"),
    ]


def _size(progression: Progression) -> str:
    roles = progression.roles
    names = (
        ", ".join(escape(role.name) for role in roles) if len(roles) <= 6 else f"{len(roles)} roles"
    )
    return f"{counted(len(progression.phases), 'phase')}; roles: {names}"


def error_message(error: CommandError) -> Message:
    """What was not understood and the closest thing that works (both already mrkdwn)."""
    lines = [f":thinking_face: {error.message}", *([error.hint] if error.hint else [])]
    return message(error.message, [section("\n".join(lines)), context(HELP_HINT)])


def internal_error_message() -> Message:
    """For a failure on our side: never Slack's "failed with the error" banner."""
    text = (
        ":warning: Something went wrong on our side; it has been logged. "
        "Please try again, or `/progression help`."
    )
    return message(text, [section(text)])


def busy_message() -> Message:
    """A write that found the database locked by another process for too long."""
    text = (
        ":hourglass: The database is busy right now (another tool is writing to it), "
        "so nothing was changed. Please try again in a moment."
    )
    return message(text, [section(text)])


def home_view(progression: Progression, personal: list[Block] | None = None) -> dict[str, Any]:
    """The App Home tab: the person's own progress and moves (`personal`, from
    `views.progress.home_personal_blocks`), the progression's phases, what `/progression` does."""
    phases = "\n".join(
        f"*Phase {phase.number}* · {escape(phase.title)}" for phase in progression.phases
    )
    blocks = [
        header(progression.name),
        *(personal or []),
        section(phases),
        divider(),
        *_help_sections(progression),
    ]
    return {"type": "home", "blocks": blocks}
