"""Computing the district's weekly digest for a large district, beside `progress all` for the
same data (what a manager would ask for instead):

    .venv/bin/python -m benchmarks.digest [--repeat 5] [--postgres SERVER_URL]

The district: 60 campuses of four role channels (leaders, teachers, students, systems), 2,000
people spread over the channels, a year of weekly nudges (52 per channel) and every person
checking off about three in five of their channel's moves. The digest is read from the store
(`channel_standings`), built (`build_digest`, with the trend over the last 8 school weeks) and
rendered (`digest_message`, Block Kit); the chart is timed apart (drawn by the runner, once per
digest). `progress all` is its handler, end to end. Medians of `--repeat` runs, each after one
warm-up. On PostgreSQL, a database of the benchmark's own, created and dropped.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.background.chart import draw
from bot.handlers.progress import workspace_progress
from bot.views.digest import digest_message
from progression.calendar import WeeklySlot, week_of
from progression.campus import DISTRICT
from progression.digest import build_digest, school_weeks
from progression.load import load_progression
from scheduler.digest import standings
from store import Store

TEAM = "TBENCH"
CAMPUSES = 60
ROLES = ("leader", "teacher", "student", "systems")
PEOPLE = 2000
WEEKS = 52
SHARE_DONE = 0.6
NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


def seed(store: Store, progression: Any) -> None:
    rng = random.Random(7)
    channels = [
        (f"C{c:02d}{role[:3]}", role, f"Campus {c:02d}") for c in range(CAMPUSES) for role in ROLES
    ]
    weeks = [week_of(NOW - timedelta(weeks=n), "UTC") for n in range(WEEKS)][::-1]
    refs = {role: [f"{p}.{a}" for p in range(1, 5) for a in range(1, 13)] for role in ROLES}
    people: dict[str, list[str]] = {channel: [] for channel, _, _ in channels}
    for n in range(PEOPLE):
        people[channels[n % len(channels)][0]].append(f"U{n:05d}")
    with store.backend.transaction() as db:
        for channel, role, campus in channels:
            db.execute(
                "insert into subscriptions (team_id, channel_id, role, phases, subscribed_by, "
                "subscribed_at, first_week, active, campus) values (?, ?, ?, '', 'U0', ?, ?, 1, ?)",
                [TEAM, channel, role, NOW.isoformat(), weeks[0], campus],
            )
            db.execute(
                "insert into channel_sizes (team_id, channel_id, name, people, checked_at) "
                "values (?, ?, ?, ?, ?)",
                [TEAM, channel, channel.lower(), len(people[channel]), NOW.timestamp()],
            )
            for n, week in enumerate(weeks):
                ref = refs[role][n % len(refs[role])]
                db.execute(
                    "insert into deliveries (team_id, channel_id, week, role, ref, round, state, "
                    "owner, ts, claimed_at, posted_at) values (?, ?, ?, ?, ?, 1, 'posted', 'b', "
                    "?, ?, ?)",
                    [TEAM, channel, week, role, ref, f"{n}.{channel}", *[NOW.isoformat()] * 2],
                )
                for user in people[channel]:
                    if rng.random() < SHARE_DONE:
                        db.execute(
                            "insert into checkoffs (team_id, channel_id, ref, user_id, "
                            "checked_at, message_ts) values (?, ?, ?, ?, ?, ?) "
                            "on conflict do nothing",
                            [TEAM, channel, ref, user, NOW.isoformat(), f"{n}.{channel}"],
                        )


def district_digest(store: Store, progression: Any) -> dict[str, Any]:
    channels = standings(store, TEAM)
    slot = WeeklySlot(0, NOW.time().replace(hour=8), "UTC")
    weeks = school_weeks(week_of(NOW, "UTC"), slot, [])
    digest = build_digest(DISTRICT, week_of(NOW, "UTC"), channels, weeks)
    return digest_message(progression, digest)


def progress_all(store: Store, progression: Any) -> dict[str, Any]:
    services = SimpleNamespace(store=store, progression=progression)
    context = SimpleNamespace(services=services, team_id=TEAM)
    return workspace_progress(context)  # type: ignore[arg-type]


def timed(work: Callable[[], object], repeat: int) -> list[float]:
    work()  # warm-up: the first read fills the database's caches
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as place:
            yield str(Path(place) / "bench.db")
        return
    from tests.postgres import fresh_database

    with fresh_database(postgres) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--postgres", help="a PostgreSQL server's URL (a role that may create databases)"
    )
    args = parser.parse_args()
    progression = load_progression()
    with database(args.postgres) as target:
        store = Store(target)
        try:
            started = time.perf_counter()
            seed(store, progression)
            took = time.perf_counter() - started
            print(
                f"seeded {CAMPUSES * len(ROLES)} channels, {PEOPLE} people, {WEEKS} weeks "
                f"in {took:.1f} s ({store.kind})"
            )
            digest = timed(lambda: district_digest(store, progression), args.repeat)
            progress = timed(lambda: progress_all(store, progression), args.repeat)
            channels = standings(store, TEAM)
            slot = WeeklySlot(0, NOW.time().replace(hour=8), "UTC")
            weeks = school_weeks(week_of(NOW, "UTC"), slot, [])
            built = build_digest(DISTRICT, week_of(NOW, "UTC"), channels, weeks)
            chart = timed(lambda: draw(built, progression), max(1, args.repeat // 2))
        finally:
            store.close()
    median_digest, median_progress = statistics.median(digest), statistics.median(progress)
    for name, runs, median in (
        ("district digest", digest, median_digest),
        ("progress all", progress, median_progress),
    ):
        each = ", ".join(f"{s * 1000:.0f}" for s in runs)
        print(f"{name}: median {median * 1000:.0f} ms (runs {each} ms)")
    ratio = median_digest / median_progress
    drawn = statistics.median(chart) * 1000
    print(f"digest / progress all: {ratio:.2f}x; chart drawn in {drawn:.0f} ms (median)")
    print("target: the district digest under 1 s:", "met" if median_digest < 1 else "NOT met")


if __name__ == "__main__":
    main()
