"""The digest as leaders read it: what needs attention first, then on track, this week's moves
and the trend; inside Block Kit's limits for a district of 60 campuses."""

from __future__ import annotations

from typing import Any

from bot.views.digest import digest_message, sparkline
from progression.campus import DISTRICT
from progression.digest import ChannelStanding, Posted, build_digest
from progression.load import load_progression
from tests.bot.blockkit import assert_within_block_kit_limits

WEEKS = tuple(f"2026-W{n}" for n in range(43, 51))
PROGRESSION = load_progression()


def standing(
    channel: str, campus: str, role: str, done: tuple[int, ...], people: int, **extra: Any
) -> ChannelStanding:
    nudges = tuple(
        Posted(w, f"1.{n + 1}", d) for n, (w, d) in enumerate(zip(WEEKS, done, strict=False))
    )
    return ChannelStanding(channel, role, campus, people, nudges, **extra)


def texts(message: dict[str, Any]) -> list[str]:
    found = []
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            found.append(element.get("text", ""))
    return found


def test_a_campus_digest_leads_with_what_needs_attention_then_the_rest_in_order() -> None:
    channels = [
        standing("CT", "Lincoln", "teacher", (3, 4, 5, 6, 7, 7, 7, 7), 12),
        standing("CL", "Lincoln", "leader", (2, 1, 0, 0, 0, 0, 0, 0), 4),
        standing("CS", "Lincoln", "student", (1,), 3, inactive="is_archived"),
    ]
    message = digest_message(PROGRESSION, build_digest("Lincoln", "2026-W50", channels, WEEKS))
    assert_within_block_kit_limits(message)
    said = "\n".join(texts(message))
    order = [
        said.index("Needs attention"),
        said.index("<#CL> · no ✅ on its last two nudges"),
        said.index("<#CS> · gets no nudges: the channel is archived"),
        said.index("On track:* 1 of 2 role channels"),
        said.index("This week's moves"),
        said.index("<#CT> · Teacher · 1.8 · ✅ 7 of 12"),
        said.index("Trend"),
    ]
    assert order == sorted(order)
    assert "2 to look at" in message["text"]


def test_a_quiet_week_says_nothing_needs_attention() -> None:
    channels = [standing("CT", "Lincoln", "teacher", (3, 4), 12)]
    digest = build_digest("Lincoln", "2026-W50", channels, WEEKS)
    said = "\n".join(texts(digest_message(PROGRESSION, digest)))
    assert "*Needs attention:* nothing this week." in said
    assert "On track:* 1 of 1" in said


def test_one_of_anything_is_singular_and_the_week_is_named_by_its_monday() -> None:
    channels = [standing("CT", "Lincoln", "teacher", (3,), 12)]
    digest = build_digest("Lincoln", "2026-W50", channels, ("2026-W50",))
    message = digest_message(PROGRESSION, digest)
    said = "\n".join(texts(message))
    assert "Lincoln weekly digest · week of Mon 7 Dec 2026" in said
    assert "On track:* 1 of 1 role channel\n" in said + "\n"
    assert "the last 1 school week, oldest first" in said
    assert message["text"] == (
        "Lincoln's weekly digest (the week of Monday 7 December 2026): 0 to look at, "
        "1 channel on track"
    )
    assert "2026-W50" not in said


def test_the_district_digest_of_sixty_campuses_fits_one_message_campus_by_campus() -> None:
    # Every seventh campus has stalled in every channel; the others check off a few.
    channels = [
        standing(f"C{n:02d}{role[0]}", f"Campus {n:02d}", role, done, 25)
        for n in range(60)
        for done in [(n % 5, 0, 0) if n % 7 else (0,) * 8]
        for role in ("leader", "teacher", "student", "systems")
    ]
    digest = build_digest(DISTRICT, "2026-W50", channels, WEEKS)
    message = digest_message(PROGRESSION, digest)
    assert_within_block_kit_limits(message)
    said = "\n".join(texts(message))
    assert "*Campus 01* · 4 channels · ✅ " in said and "*Campus 59*" in said
    # Every stalled channel counts; those past what one message shows are named as many.
    assert f"*Needs attention* ({len(digest.attention)})" in said
    assert "more: `/progression progress all` lists every channel" in said


def test_the_trend_reads_as_bars_with_gaps_for_weeks_without_a_nudge() -> None:
    assert sparkline([0.0, 0.5, None, 1.0]) == "▁▅·█"
