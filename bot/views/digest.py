"""The weekly digest for leaders: what needs attention first, each with what to do, then how
many channels are on track, this week's move per channel, and the trend.

A campus digest lists its channels; the district's lists its campuses, one line each
(summarised: 60 campuses of four role channels would not fit one message channel by channel,
and a district planner reads campuses first; `/progression progress all` has every channel).
Every list is cut to Block Kit's limits with a line that says what was left out and where it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.views.blocks import (
    MAX_BLOCKS,
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
from progression.campus import DISTRICT
from progression.digest import Attention, CampusRate, ChannelStanding, Digest
from progression.model import Progression

# A section holds up to 3,000 characters: lines are packed up to this, never split.
SECTION_BUDGET = 2900
# Needs-attention items shown before "…and N more".
MAX_ATTENTION = 40
SPARKS = "▁▂▃▄▅▆▇█"

_GONE_FIX = {
    "channel_not_found": "the channel was deleted, or the app is not in it",
    "not_in_channel": "the app was removed from the channel",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
}


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def sparkline(rates: Sequence[float | None]) -> str:
    """The trend in characters: a bar per school week, a dot where there was no nudge (a
    space would collapse in some renderings, and eight weeks would read as three)."""
    return "".join(
        "·" if r is None else SPARKS[min(len(SPARKS) - 1, int(r * len(SPARKS)))] for r in rates
    )


def attention_line(item: Attention) -> str:
    if item.concern == "stalled":
        return (
            f"<#{item.channel_id}> · no ✅ on its last two nudges: ask what is in the way; "
            f"`/progression progress` there shows what was posted"
        )
    if item.concern == "inactive":
        reason = _GONE_FIX.get(item.detail, f"Slack said `{escape(item.detail)}`")
        return (
            f"<#{item.channel_id}> · gets no nudges: {reason}. Invite the app "
            "(`/invite @progression`) and run `/progression subscribe` there again"
        )
    if item.concern == "unconfirmed":
        return (
            f"<#{item.channel_id}> · this week's nudge may not have arrived: look in the "
            "channel; `/progression subscriptions` lists it"
        )
    return (
        f"*{escape(item.campus)}* · {escape(item.detail)} checked off this week, under half "
        "the district's median: ask its leaders what would help"
    )


def channel_line(progression: Progression, channel: ChannelStanding) -> str:
    latest = channel.latest
    move = latest.ref if latest is not None else "nothing posted yet"
    people = "?" if channel.people is None else str(channel.people)
    done = latest.done if latest is not None else 0
    role = escape(role_name(progression, channel.role))
    return f"<#{channel.channel_id}> · {role} · {move} · ✅ {done} of {people}"


def campus_line(rate: CampusRate, channels: int, concerns: int) -> str:
    flag = f" · ⚠️ {concerns} to look at" if concerns else ""
    return (
        f"*{escape(rate.campus)}* · {wording.counted(channels, 'channel')} · "
        f"✅ {percent(rate.completion)} ({rate.done} of {rate.people}){flag}"
    )


def trend_line(campus: str, rates: Sequence[float | None]) -> str:
    last = next((r for r in reversed(rates) if r is not None), None)
    return f"`{sparkline(rates)}` {escape(campus)} · now {percent(last)}"


def digest_message(progression: Progression, digest: Digest) -> Message:
    """The digest, within Block Kit's limits whatever the district's size."""
    scope = "The district" if digest.is_district else escape(digest.scope)
    name = "District" if digest.is_district else digest.scope
    blocks: list[Block] = [header(f"{name} weekly digest · {wording.short_week(digest.week)}")]
    blocks += standing_blocks(progression, digest)
    weeks = len(digest.trend_weeks)
    last = wording.counted(weeks, "school week")
    blocks.append(section(f"*Trend* · the last {last}, oldest first"))
    blocks += _sections([trend_line(c, r) for c, r in sorted(digest.trend.items())])
    blocks.append(
        context(
            "The chart below shows the same. `/progression progress campus` in a campus's "
            "channel, `/progression digest` for when this comes"
        )
    )
    concerns = len(digest.attention)
    text = (
        f"{scope}'s weekly digest ({wording.week(digest.week)}): {concerns} to look at, "
        f"{wording.counted(digest.on_track, 'channel')} on track"
    )
    return message(text, blocks[:MAX_BLOCKS])


def standing_blocks(
    progression: Progression, digest: Digest, most_attention: int = MAX_ATTENTION
) -> list[Block]:
    """What needs attention, how many channels are on track, and this week by campus (the
    district's) or by channel (a campus's): the digest's top, and what leaders see of their
    campus on App Home and with `/progression progress campus`."""
    blocks = _attention_blocks(digest, most_attention)
    active = sum(1 for c in digest.channels if not c.inactive)
    active_channels = wording.counted(active, "role channel")
    blocks.append(section(f"*On track:* {digest.on_track} of {active_channels}"))
    blocks.append(divider())
    if digest.is_district:
        blocks.append(section("*This week, by campus*"))
        blocks += _sections(_campus_lines(digest))
    else:
        blocks.append(section("*This week's moves*"))
        blocks += _sections([channel_line(progression, c) for c in digest.channels])
    return blocks


def _attention_blocks(digest: Digest, most: int) -> list[Block]:
    if not digest.attention:
        return [section("*Needs attention:* nothing this week.")]
    lines = [attention_line(a) for a in digest.attention[:most]]
    left = len(digest.attention) - len(lines)
    if left:
        lines.append(f"…and {left} more: `/progression progress all` lists every channel")
    return [section(f"*Needs attention* ({len(digest.attention)})"), *_sections(lines)]


def _campus_lines(digest: Digest) -> list[str]:
    lines = []
    for rate in digest.campuses:
        channels = [c for c in digest.channels if c.campus == rate.campus]
        concerns = sum(1 for a in digest.attention if a.campus == rate.campus)
        lines.append(campus_line(rate, len(channels), concerns))
    return lines


def _sections(lines: Sequence[str]) -> list[Block]:
    """`lines` as bulleted sections, each as full as a section's 3,000 characters allow (a
    line is never split between two)."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in (f"• {line}" for line in lines):
        if chunk and size + 1 + len(line) > SECTION_BUDGET:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(cut(line, SECTION_BUDGET))
        size += len(chunk[-1]) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def digest_scope_name(scope: str) -> str:
    return "the district" if scope == DISTRICT else scope
