"""The weekly fan-out to 1,000 channels against a stand-in that enforces Slack's limits.

    .venv/bin/python -m benchmarks.fanout [--channels 1000] [--repeat 1] [--latency 0]
        [--per-minute 300] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

`progression-bot nudge --week` runs in its own process, as cron would run it, against the
stand-in in this one, with the workspace's pace `PROGRESSION_POSTS_PER_MINUTE` (its default,
300 a minute, unless `--per-minute` says otherwise). The stand-in answers 429 to any post past
one per second per channel or the pace per workspace (300 a minute: 5 in any second), and
injects about 5% random 429s (Retry-After: 1) and 2% 500s. Each 429 asks the whole workspace to
wait: a post to any channel that arrives during the wait counts as a limit violation, except in
its first 0.1 s (posts already on their way). The pace allows 1,000 / 300 a minute = 200 s; the
target is at most 1.2x that. Measured in the same run: the same
fan-out with no faults injected (the baseline), then with faults; medians over `--repeat` runs.
`--latency` makes the stand-in answer each post that many seconds late, as a distant Slack would.

"Exactly once" is checked on both sides: every channel has one confirmed delivery in the store,
and the stand-in accepted exactly one post per channel (counted from the outcome it records for
every call).

With `--postgres SERVER_URL` the store is PostgreSQL instead of SQLite: each run gets a database
of its own on that server, created for it and dropped after it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import DEFAULT_POSTS_PER_MINUTE
from store import Store
from tests.conftest import app_env
from tests.slack.web_api import SlackWebAPI

TEAM = "T0001"
WEEK = "2026-W10"
# A post that reaches the stand-in within this long after a 429 was already on its way.
IN_FLIGHT = 0.1


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float  # first post to last, as Slack saw them
    process_seconds: float  # `progression-bot nudge` from start to exit
    channels: int
    per_minute: float
    posted: int
    slack_posts: int  # messages the stand-in accepted during the run
    most_per_channel: int  # the most posts any one channel had accepted
    calls: int  # chat.postMessage requests, refused ones included
    violations: int
    in_flight: int  # posts that arrived within IN_FLIGHT after a 429
    latest_in_flight: float  # the latest of them, seconds after the 429

    @property
    def allowed_seconds(self) -> float:
        return self.channels / self.per_minute * 60

    @property
    def ratio(self) -> float:
        return self.seconds / self.allowed_seconds

    @property
    def exactly_once(self) -> bool:
        return self.posted == self.channels == self.slack_posts and self.most_per_channel == 1


def fan_out(
    api: SlackWebAPI,
    workdir: Path,
    name: str,
    channels: int,
    faults: bool,
    seed: int,
    latency: float = 0.0,
    per_minute: float = DEFAULT_POSTS_PER_MINUTE,
    postgres: str | None = None,
    concurrency: int | None = None,
) -> Run:
    """`progression-bot nudge --week` in its own process, as an operator or cron runs it
    (`concurrency`: its --concurrency, the threads posting at once)."""
    with contextlib.ExitStack() as stack:
        db: Path | str = workdir / f"{name}.db"
        if postgres:
            from tests.postgres import fresh_database

            db = stack.enter_context(fresh_database(postgres))
        threads = () if concurrency is None else ("--concurrency", str(concurrency))
        return _fan_out(api, db, name, channels, faults, seed, latency, per_minute, threads)


def _fan_out(
    api: SlackWebAPI,
    db: Path | str,
    name: str,
    channels: int,
    faults: bool,
    seed: int,
    latency: float,
    per_minute: float,
    options: tuple[str, ...] = (),
) -> Run:
    api.reset()
    store = Store(db)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(channels):
        store.subscribe(TEAM, f"C{n:05d}", "teacher", (), "U0MANAGER", WEEK, now)
    store.close()
    api.faults.enforce_limits(per_channel_per_second=1, per_workspace_per_second=per_minute / 60)
    api.faults.delay("chat.postMessage", latency)
    if faults:
        api.faults.inject_random("chat.postMessage", rate_429=0.05, rate_500=0.02, seed=seed)
        api.faults.workspace_waits(in_flight=IN_FLIGHT)
    started = time.monotonic()
    nudge = subprocess.run(
        [sys.executable, "-m", "bot.cli", "nudge", "--week", WEEK, "--team", TEAM, *options],
        env=app_env(api, db, PROGRESSION_POSTS_PER_MINUTE=f"{per_minute:g}"),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if nudge.returncode != 0:
        raise SystemExit(f"nudge failed ({nudge.returncode}): {nudge.stderr[-2000:]}")
    posts = api.calls("chat.postMessage")
    told = [c.at for c in posts if c.outcome == "ratelimited"]
    # Posts that reached Slack during a 429's in-flight allowance, and how long after it.
    late = [c.at - t for t in told for c in posts if t < c.at < t + IN_FLIGHT]
    accepted = Counter(str(c.params["channel"]) for c in posts if c.outcome == "ok")
    violations = api.faults.limit_violations
    api.reset()
    store = Store(db)
    states = Counter(d.state for n in range(channels) for d in store.deliveries(TEAM, f"C{n:05d}"))
    store.close()
    return Run(
        name=name,
        seconds=posts[-1].at - posts[0].at if posts else 0.0,
        process_seconds=seconds,
        channels=channels,
        per_minute=per_minute,
        posted=states["posted"],
        slack_posts=sum(accepted.values()),
        most_per_channel=max(accepted.values(), default=0),
        calls=len(posts),
        violations=violations,
        in_flight=len(late),
        latest_in_flight=max(late, default=0.0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds Slack takes to answer")
    parser.add_argument(
        "--per-minute",
        type=float,
        default=DEFAULT_POSTS_PER_MINUTE,
        help="the workspace's pace, PROGRESSION_POSTS_PER_MINUTE (default %(default)g)",
    )
    parser.add_argument(
        "--postgres", metavar="SERVER_URL", help="keep the store on PostgreSQL, on this server"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        help="nudge's threads posting at once (default: nudge's own, 24; a runner's fan-out "
        "has 5 at 300 a minute)",
    )
    args = parser.parse_args()
    pace = args.per_minute
    db = args.postgres
    runs: list[Run] = []
    with SlackWebAPI() as api, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for n in range(args.repeat):
            if not args.no_baseline:
                baseline = f"no faults {n}"
                runs.append(
                    fan_out(
                        api,
                        workdir,
                        baseline,
                        args.channels,
                        False,
                        0,
                        args.latency,
                        pace,
                        db,
                        args.concurrency,
                    )
                )
            name = f"5% 429 + 2% 500 {n}"
            runs.append(
                fan_out(
                    api,
                    workdir,
                    name,
                    args.channels,
                    True,
                    args.seed + n,
                    args.latency,
                    pace,
                    db,
                    args.concurrency,
                )
            )
    _report(runs, "postgresql" if args.postgres else "sqlite")


def _report(runs: list[Run], database: str) -> None:
    print(f"store: {database}")
    allowed = runs[0].allowed_seconds if runs else 0.0
    print(
        f"| run | seconds (first post to last) | / {allowed:.0f} s allowed | process seconds "
        "| posted (store) | accepted by Slack | exactly once | postMessage calls "
        "| limit violations | arrived just after a 429 (latest) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        print(
            f"| {run.name} | {run.seconds:.1f} | {run.ratio:.2f} | {run.process_seconds:.1f} "
            f"| {run.posted} | {run.slack_posts} | {'yes' if run.exactly_once else 'NO'} "
            f"| {run.calls} | {run.violations} "
            f"| {run.in_flight} ({run.latest_in_flight * 1000:.0f} ms) |"
        )
    for kind in ("no faults", "5% 429"):
        ratios = [run.ratio for run in runs if run.name.startswith(kind)]
        if ratios:
            print(f"median ratio, {kind}: {statistics.median(ratios):.2f} over {len(ratios)}")
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    rows = [{**run.__dict__, "ratio": run.ratio, "exactly_once": run.exactly_once} for run in runs]
    name = "fanout-postgresql.json" if database == "postgresql" else "fanout.json"
    (out / name).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
