"""The digest's picture: this week's completion as a campuses-by-roles heatmap, and the last
school weeks' trend, as one PNG, with a title and a description in words (its alt text).

Drawn by the runner, the one process that posts digests: matplotlib is imported here only,
with its headless backend, so no web worker pays for it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from progression import wording
from progression.digest import ChannelStanding, Digest
from progression.model import Progression

# Colour-blind safe, and readable in grey: light (nothing done) to dark blue (everyone).
COLOURS = "Blues"
NO_CHANNEL = "#e6e6e6"  # a campus without a channel of that role: grey, not "0%"
DPI = 110


@dataclass(frozen=True)
class Chart:
    png: bytes
    title: str
    alt_text: str  # what the picture shows, for those who cannot see it


def role_columns(progression: Progression, digest: Digest) -> list[tuple[str, str]]:
    """(key, name) of the roles that have channels in the digest, in the progression's order."""
    present = {c.role for c in digest.channels}
    return [(r.key, r.name) for r in progression.roles if r.key in present]


def completion_grid(
    digest: Digest, roles: list[tuple[str, str]]
) -> tuple[list[str], list[list[float | None]]]:
    """Campuses (rows) by roles (columns): the share of the people of that campus's channels of
    that role who checked this week's move off; None where there is no such channel."""
    campuses = sorted({c.campus for c in digest.channels})
    grid: list[list[float | None]] = []
    for campus in campuses:
        row: list[float | None] = []
        for key, _ in roles:
            row.append(_share([c for c in digest.channels if c.campus == campus and c.role == key]))
        grid.append(row)
    return campuses, grid


def draw(digest: Digest, progression: Progression) -> Chart:
    import matplotlib

    matplotlib.use("Agg")  # no display: a file in memory
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    roles = role_columns(progression, digest)
    campuses, grid = completion_grid(digest, roles)
    figure: Figure = plt.figure(figsize=(9.5, 3.2 + 0.28 * len(campuses)), dpi=DPI)
    try:
        heat, trend = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        values = [[float("nan") if v is None else v for v in row] for row in grid]
        colours = matplotlib.colormaps[COLOURS].with_extremes(bad=NO_CHANNEL)
        image = heat.imshow(values, cmap=colours, vmin=0, vmax=1, aspect="auto")
        heat.set_xticks(range(len(roles)), [name for _, name in roles], rotation=20, ha="right")
        heat.set_yticks(range(len(campuses)), campuses)
        heat.set_title(f"The {wording.short_week(digest.week)}: share checked off")
        if len(campuses) <= 20:
            for y, row in enumerate(grid):
                for x, value in enumerate(row):
                    label = "—" if value is None else f"{value:.0%}"
                    colour = "white" if value is not None and value > 0.6 else "black"
                    heat.text(x, y, label, ha="center", va="center", color=colour, fontsize=9)
        figure.colorbar(image, ax=heat, fraction=0.046, format=lambda v, _: f"{v:.0%}")
        labels = [w.split("-")[1] for w in digest.trend_weeks]
        for campus, rates in sorted(digest.trend.items()):
            points = [(x, r) for x, r in enumerate(rates) if r is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                trend.plot(xs, ys, marker="o", label=campus)
        trend.set_xticks(range(len(labels)), labels)
        # A little room at the edges, so a point on the last week or at 100% is whole.
        trend.set_xlim(-0.4, len(labels) - 0.6)
        trend.set_ylim(-0.03, 1.05)
        trend.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        trend.set_title(f"Last {wording.counted(len(labels), 'school week')}")
        trend.grid(alpha=0.3)
        if 1 < len(digest.trend) <= 12:
            trend.legend(fontsize="small", loc="upper left")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return Chart(buffer.getvalue(), title(digest), alt_text(digest, roles, campuses, grid))


def title(digest: Digest) -> str:
    scope = "District" if digest.is_district else digest.scope
    return f"{scope} progress, {wording.week(digest.week)}"


def alt_text(
    digest: Digest,
    roles: list[tuple[str, str]],
    campuses: list[str],
    grid: list[list[float | None]],
) -> str:
    """The picture in words: each campus's rates by role, then the trend's first and last."""
    lines = [
        f"Share of staff who checked this week's move off ({wording.week(digest.week)}), "
        "by campus and role."
    ]
    for campus, row in zip(campuses, grid, strict=True):
        cells = [
            f"{name} {value:.0%}"
            for (_, name), value in zip(roles, row, strict=True)
            if value is not None
        ]
        lines.append(f"{campus}: {', '.join(cells) or 'no people known'}.")
    for campus, rates in sorted(digest.trend.items()):
        known = [r for r in rates if r is not None]
        if known:
            lines.append(
                f"{campus} over the last {wording.counted(len(rates), 'school week')}: "
                f"from {known[0]:.0%} to {known[-1]:.0%}."
            )
    text = " ".join(lines)
    return text if len(text) <= 1000 else text[:999].rstrip() + "…"  # Slack's alt text limit


def _share(channels: list[ChannelStanding]) -> float | None:
    done = people = 0
    for channel in channels:
        latest = channel.latest
        if latest is None or not channel.people or channel.inactive:
            continue
        done += min(latest.done, channel.people)
        people += channel.people
    return None if not people else done / people
