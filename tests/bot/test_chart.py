"""The digest's picture: a PNG that shows the heatmap and the trend, and says it in words."""

from __future__ import annotations

import struct

from bot.background.chart import completion_grid, draw, role_columns
from progression.campus import DISTRICT
from progression.digest import ChannelStanding, Posted, build_digest
from progression.load import load_progression

WEEKS = tuple(f"2026-W{n}" for n in range(43, 51))


def standing(channel: str, campus: str, role: str, done: int, people: int) -> ChannelStanding:
    return ChannelStanding(
        channel, role, campus, people, tuple(Posted(w, "1.7", done) for w in WEEKS)
    )


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_a_campus_digest_is_drawn_and_described_in_words() -> None:
    progression = load_progression()
    digest = build_digest(
        "Lincoln",
        "2026-W50",
        [
            standing("C1", "Lincoln", "teacher", 7, 12),
            standing("C2", "Lincoln", "leader", 1, 4),
        ],
        WEEKS,
    )
    chart = draw(digest, progression)
    width, height = png_size(chart.png)
    assert width > 600 and height > 300
    assert chart.title == "Lincoln progress, the week of Monday 7 December 2026"
    assert "this week's move off (the week of Monday 7 December 2026)" in chart.alt_text
    assert "Lincoln over the last 8 school weeks" in chart.alt_text
    assert "Lincoln: Leader 25%, Teacher 58%." in chart.alt_text
    assert "from 50% to 50%" in chart.alt_text  # 8 of 16 people every week


def test_a_campus_without_a_role_is_no_channel_not_zero() -> None:
    progression = load_progression()
    digest = build_digest(
        DISTRICT,
        "2026-W50",
        [standing("C1", "Lincoln", "teacher", 0, 10), standing("C2", "Adams", "leader", 5, 5)],
        WEEKS,
    )
    roles = role_columns(progression, digest)
    assert [key for key, _ in roles] == ["leader", "teacher"]
    campuses, grid = completion_grid(digest, roles)
    assert campuses == ["Adams", "Lincoln"]
    assert grid == [[1.0, None], [None, 0.0]]


def test_sixty_campuses_fit_one_picture_and_a_thousand_characters_of_words() -> None:
    progression = load_progression()
    channels = [
        standing(f"C{n}{role}", f"Campus {n:02d}", role, n % 7, 10)
        for n in range(60)
        for role in ("leader", "teacher", "student")
    ]
    chart = draw(build_digest(DISTRICT, "2026-W50", channels, WEEKS), progression)
    width, height = png_size(chart.png)
    assert height > width  # a row per campus, readable
    assert len(chart.png) < 1_000_000  # well inside what Slack takes
    assert 0 < len(chart.alt_text) <= 1000 and chart.alt_text.endswith("…")
