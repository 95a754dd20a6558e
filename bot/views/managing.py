"""Replies to managers and to `next`: subscriptions, schedules, breaks, previews."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.views.blocks import Item, Message, context, fit, message, section
from bot.views.lookups import role_name
from bot.views.mrkdwn import escape
from progression.calendar import SchoolBreak, WeeklySlot
from progression.campus import DISTRICT
from progression.model import Move, Progression
from progression.wording import counted, day, week, when
from store import Subscription

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INVITE_HINT = "invite the app with `/invite @progression`, then subscribe again"
BREAKS_HINT = "`/progression skips` lists the breaks; `/progression unskip 2026-12-21` removes one."
NO_NUDGE_AHEAD = "No nudge ahead: every school week in the coming months is a break. " + BREAKS_HINT
SKIP_USAGE = "Try `/progression skip 2026-12-21 2027-01-01`: the first and the last day off."
REASONS = {
    "channel_not_found": "the channel is gone, or it is private and the app is not in it",
    "not_in_channel": "the app is not in the channel",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
}


def next_words(moment: datetime | None) -> str:
    """When the next nudge goes out, or that none is ahead (every week is a break)."""
    return f"*{when(moment)}*." if moment is not None else NO_NUDGE_AHEAD


def slot_words(slot: WeeklySlot) -> str:
    return f"{WEEKDAY_NAMES[slot.weekday]} at {slot.at:%H:%M} ({slot.timezone})"


def phases_words(phases: Sequence[int]) -> str:
    if not phases:
        return "all phases"
    return ("phase " if len(phases) == 1 else "phases ") + ", ".join(map(str, phases))


def move_words(progression: Progression, move: Move) -> str:
    return f"*{move.ref}* {escape(move.action.next_move)}"


def subscribed_message(
    progression: Progression,
    subscription: Subscription,
    slot: WeeklySlot,
    first: datetime,
    proposed: bool = False,
) -> Message:
    """The confirmation of `subscribe`: the role, when, and the channel's campus (`proposed`:
    read from the channel's name just now, so the manager can correct it)."""
    role = escape(role_name(progression, subscription.role))
    campus = f"*{escape(subscription.campus or DISTRICT)}*"
    if proposed:
        campus += " (from the channel's name)"
    text = (
        f":white_check_mark: <#{subscription.channel_id}> now gets one *{role}* move a week "
        f"({phases_words(subscription.phases)}), {slot_words(slot)}.\n"
        f"The first nudge goes out on *{when(first)}*.\n"
        f"Campus: {campus}."
    )
    hints = "`/progression preview` shows the nudge"
    if proposed:
        hints += "; `/progression campus Lincoln Elementary` names the campus otherwise"
    return message(text, [section(text), context(hints)])


def channel_announcement(progression: Progression, role_key: str, first: datetime) -> Message:
    """Posted in the channel when it is subscribed: also proves the app can post there."""
    role = escape(role_name(progression, role_key))
    text = (
        f"This channel now gets one *{role}* move of the Distance Learning Progression a week, "
        f"starting {when(first)}. React :white_check_mark: on a move when it's done."
    )
    return message(text, [section(text)])


def cannot_post_message(channel_id: str, error: str) -> str:
    reason = REASONS.get(error, error)
    return f"I can't post in <#{channel_id}>: {reason}. To subscribe it, {INVITE_HINT}."


def unsubscribed_message(progression: Progression, subscription: Subscription | None) -> Message:
    if subscription is None:
        text = "This channel was not subscribed: nothing changed."
    else:
        role = escape(role_name(progression, subscription.role))
        text = (
            f"<#{subscription.channel_id}> no longer gets weekly *{role}* moves. Its history "
            "and check-offs are kept: subscribing it again continues where it left off."
        )
    return message(text, [section(text)])


@dataclass(frozen=True)
class SubscriptionLine:
    subscription: Subscription
    next_move: str  # already mrkdwn
    next_at: datetime | None
    unconfirmed_weeks: tuple[str, ...] = ()


def subscriptions_message(
    progression: Progression, lines: Sequence[SubscriptionLine], slot: WeeklySlot
) -> Message:
    if not lines:
        text = "No channel is subscribed yet. In a role channel: `/progression subscribe teacher`."
        return message(text, [section(text)])
    count = counted(len(lines), "subscribed channel")
    head = [section(f"*{count}* · nudges go out {slot_words(slot)}")]
    items = [Item([section(_subscription_line(progression, line))]) for line in lines]
    return message(head[0]["text"]["text"], fit(head, items, [], ("channel", "channels")))


def _subscription_line(progression: Progression, line: SubscriptionLine) -> str:
    sub = line.subscription
    role = escape(role_name(progression, sub.role))
    reminder = (
        f"reminder {WEEKDAY_NAMES[sub.remind_weekday]}s"
        if sub.remind_weekday is not None
        else "no reminder"
    )
    text = (
        f"<#{sub.channel_id}> · *{role}* · {phases_words(sub.phases)} · campus "
        f"*{escape(sub.campus or DISTRICT)}* · {reminder}\n"
    )
    if not sub.active:
        reason = REASONS.get(sub.inactive_reason or "", sub.inactive_reason or "unknown")
        text += f":warning: inactive: {escape(reason)}; to resume, {INVITE_HINT}."
    else:
        next_at = when(line.next_at) if line.next_at else "no nudge ahead"
        text += f"Next: {line.next_move} · {next_at}"
    for unconfirmed in line.unconfirmed_weeks:
        text += (
            f"\n:grey_question: the nudge for {week(unconfirmed)} may or may not have reached "
            "Slack (the app stopped while posting it): check the channel; it is not posted again."
        )
    return text


def schedule_message(slot: WeeklySlot, next_at: datetime | None, changed: bool) -> Message:
    verb = "Nudges now go out" if changed else "Nudges go out"
    text = f"{verb} every *{slot_words(slot)}*. The next one: {next_words(next_at)}"
    hint = "Change it: `/progression schedule monday 07:30 America/Chicago`"
    return message(text, [section(text), context(hint)])


def digest_schedule_message(
    slot: WeeklySlot | None, next_at: datetime | None, changed: bool, readers: int
) -> Message:
    """When the leaders' weekly digest goes out (the weekday, time, timezone and the next
    one's date, as the schedule's confirmations say), or that it is off."""
    hint = "Change it: `/progression digest friday 14:00`, or `/progression digest off`"
    if slot is None:
        text = (
            "The weekly digest is off now: no leader or systems channel gets it."
            if changed
            else "The weekly digest is off: no leader or systems channel gets it."
        )
        text += " `/progression digest friday 14:00` turns it back on."
        return message(text, [section(text)])
    verb = "The weekly digest now goes out" if changed else "The weekly digest goes out"
    nothing = "No digest ahead: every school week in the coming months is a break."
    upcoming = f"The next one: *{when(next_at)}*." if next_at is not None else nothing
    text = (
        f"{verb} every *{slot_words(slot)}*: each campus's leader channels get their "
        f"campus's, the systems channels the district's. {upcoming}"
    )
    if not readers:
        text += (
            "\nNo leader or systems channel is subscribed yet, so nobody gets it: "
            "`/progression subscribe leader` in a campus's leaders' channel."
        )
    return message(text, [section(text), context(hint)])


def reminder_setting_message(
    channel_id: str, weekday: int | None, slot: WeeklySlot, changed: bool
) -> Message:
    """A role channel's reminder: on which weekday, at the nudges' time, or none."""
    if weekday is None:
        text = (
            f"<#{channel_id}> gets no more reminders."
            if changed
            else f"<#{channel_id}> gets no reminders. A manager can turn them on: "
            "`/progression remind thursday`."
        )
        return message(text, [section(text)])
    verb = "now gets" if changed else "gets"
    text = (
        f"<#{channel_id}> {verb} a reminder on *{WEEKDAY_NAMES[weekday]}s at {slot.at:%H:%M} "
        f"({slot.timezone})* when not everyone has checked the week's move off: one reply in "
        "the nudge's thread, never in the channel itself, once a week at most."
    )
    return message(text, [section(text), context("`/progression remind off` stops it")])


def break_added_message(
    school_break: SchoolBreak, effects: Sequence[str], next_at: datetime | None, new: bool
) -> Message:
    what = "Recorded the break" if new else "That break was already recorded"
    text = f"{what} {day(school_break.start)} to {day(school_break.end)}."
    lines = [text, *effects, f"The next nudge: {next_words(next_at)}"]
    return message(text, [section("\n".join(lines))])


def breaks_message(breaks: Sequence[SchoolBreak]) -> Message:
    if not breaks:
        text = "No school breaks recorded. Add one: `/progression skip 2026-12-21 2027-01-01`."
        return message(text, [section(text)])
    # The dates in words, and the command that removes it: its first day as it is typed.
    rows = [
        f"• {day(b.start)} to {day(b.end)} · `/progression unskip {b.start.isoformat()}`"
        for b in breaks
    ]
    count = counted(len(breaks), "school break")
    head = [section(f"*{count}*")]
    items = [Item([section(row)]) for row in rows]
    tail = [context("Remove one with the `unskip` beside it")]
    return message(count, fit(head, items, tail, ("break", "breaks")))


def breaks_removed_message(removed: Sequence[SchoolBreak], next_at: datetime | None) -> Message:
    if not removed:
        text = "No break starts on that day: nothing removed. `/progression skips` lists them."
        return message(text, [section(text)])
    listed = ", ".join(f"{day(b.start)} to {day(b.end)}" for b in removed)
    text = f"Removed the break {listed}. The next nudge: {next_words(next_at)}"
    return message(text, [section(text)])


def preview_message(nudge: Message, next_at: datetime) -> Message:
    """The nudge exactly as it will be posted, under a line saying when."""
    head = context(f"Preview: this is what this channel gets on {when(next_at)}")
    return {"text": nudge["text"], "blocks": [head, *nudge["blocks"]]}


def nothing_ahead_message(reason: str) -> Message:
    return message(reason, [section(reason)])


def not_subscribed_message(channel_id: str) -> Message:
    text = (
        f"<#{channel_id}> is not a role channel, so it gets no weekly moves. A manager can make "
        "it one: `/progression subscribe teacher` (or leader, systems, student)."
    )
    return message(text, [section(text)])


def next_message(
    progression: Progression,
    this_week: Move | None,
    coming: Sequence[tuple[Move | None, datetime | None]],
) -> Message:
    """`next`: this week's move (if posted) and what comes after it."""
    blocks = []
    if this_week is not None:
        blocks.append(section(f"*This week:* {move_words(progression, this_week)}"))
    for move, at in coming:
        label = f"*Next, {when(at)}:*" if at else "*Next:*"
        if move is None:
            blocks.append(section(f"{label} :tada: the celebration: everything is checked off"))
        else:
            blocks.append(section(f"{label} {move_words(progression, move)}"))
    if not blocks:
        blocks.append(section("Nothing ahead: every move of this channel is checked off."))
    blocks.append(context("React :white_check_mark: on a nudge when it's done"))
    return message(blocks[0]["text"]["text"], blocks)
