"""Campuses: a role channel's campus, every campus with its channels, and a campus's progress
(in the channel, and on its leaders' and the managers' App Home)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.views.blocks import (
    MAX_BLOCKS,
    Block,
    Message,
    context,
    divider,
    header,
    message,
    section,
)
from bot.views.digest import standing_blocks
from bot.views.lookups import role_name
from bot.views.mrkdwn import escape
from bot.views.progress import channel_mention, packed_sections
from progression import wording
from progression.campus import DISTRICT
from progression.digest import Digest
from progression.model import Progression
from store import Subscription

RENAME_HINT = "A manager renames it in the channel: `/progression campus Lincoln Elementary`"
# What needs attention on App Home, before "…and N more" (the digest and `progress campus`
# have the rest).
HOME_ATTENTION = 8
HOME_CAMPUSES = 5


def campus_words(campus: str) -> str:
    return f"*{escape(campus)}*"


def mentions(channel_ids: Sequence[str], most: int = 20) -> str:
    shown = ", ".join(channel_mention(c) for c in channel_ids[:most])
    left = len(channel_ids) - most
    return f"{shown} and {left} more" if left > 0 else shown


def campus_message(channel_id: str, campus: str, others: Sequence[str]) -> Message:
    """`/progression campus`: the channel's campus, and the campus's other role channels."""
    text = f"<#{channel_id}> belongs to the campus {campus_words(campus)}"
    text += f", with {mentions(others)}." if others else "."
    return message(text, [section(text), context(RENAME_HINT)])


def campus_renamed_message(
    channel_id: str, old: str, new: str, still_old: Sequence[str]
) -> Message:
    """A manager named the channel's campus; the channels still under the old name are named,
    since a campus is named channel by channel."""
    if old == new:
        text = f"<#{channel_id}> already belongs to {campus_words(new)}: nothing changed."
        return message(text, [section(text)])
    text = (
        f":white_check_mark: <#{channel_id}> now belongs to {campus_words(new)} (it was "
        f"{campus_words(old)}). Its digest, `/progression progress campus` and the export "
        "use the new name from now on."
    )
    lines = [text]
    if still_old and old != DISTRICT:
        lines.append(
            f"Still in {campus_words(old)}: {mentions(still_old)}. To move them too, run the "
            "same command in each."
        )
    return message(text, [section("\n".join(lines))])


def campuses_message(
    progression: Progression, campuses: Sequence[tuple[str, Sequence[Subscription]]]
) -> Message:
    """`/progression campuses`: every campus with its role channels."""
    if not campuses:
        text = (
            "No campus yet: a campus is made by subscribing its role channels "
            "(`/progression subscribe teacher` in `#lincoln-teachers` makes Lincoln)."
        )
        return message(text, [section(text)])
    channels = sum(len(members) for _, members in campuses)
    title = (
        f"{wording.counted(len(campuses), 'campus', 'campuses')} · "
        f"{wording.counted(channels, 'role channel')}"
    )
    lines = [_campus_line(progression, campus, members) for campus, members in campuses]
    blocks = [
        header(title),
        *packed_sections(lines, room=45),
        context(
            f"`/progression campus` in a role channel shows its campus. {RENAME_HINT}. "
            "A channel whose name gives no campus belongs to District."
        ),
    ]
    return message(title, blocks)


def _campus_line(progression: Progression, campus: str, members: Sequence[Subscription]) -> str:
    channels = " · ".join(
        f"{channel_mention(s.channel_id)} {escape(role_name(progression, s.role))}"
        + ("" if s.active else " _(inactive)_")
        for s in members
    )
    return f"{campus_words(campus)} · {channels}"


def campus_title(digest: Digest) -> str:
    scope = "The district" if digest.is_district else digest.scope
    return f"{scope} this week · {wording.short_week(digest.week)}"


def campus_progress_message(progression: Progression, digest: Digest) -> Message:
    """`/progression progress campus`: the campus's channels, each one's move this week and
    how many of its people checked it off, and what needs attention first."""
    title = campus_title(digest)
    blocks = [
        header(title),
        *standing_blocks(progression, digest),
        context(
            "Completion: the share of a channel's people who checked its latest move off. "
            "`/progression progress` shows this channel's moves; `/progression campuses` "
            "lists every campus"
        ),
    ]
    concerns = len(digest.attention)
    text = f"{title}: {concerns} to look at, {digest.on_track} on track"
    return message(text, blocks[:MAX_BLOCKS])


def home_campus_blocks(progression: Progression, digests: Sequence[Digest]) -> list[Block]:
    """The top of a leader's App Home: the district (for managers) or their campuses, as
    `progress campus` shows them, what needs attention first."""
    blocks: list[Block] = []
    for digest in digests[:HOME_CAMPUSES]:
        blocks.append(header(campus_title(digest)))
        blocks.extend(standing_blocks(progression, digest, HOME_ATTENTION))
        blocks.append(divider())
    left = len(digests) - HOME_CAMPUSES
    if left > 0:
        blocks.append(
            context(
                f"…and {wording.counted(left, 'campus', 'campuses')} more: `/progression "
                "progress campus` in a campus's channel shows it"
            )
        )
    return blocks
