"""The weekly fan-out to 1,000 channels against a stand-in that enforces Slack's limits.

    .venv/bin/python -m benchmarks.fanout [--channels 1000] [--scopes workspace,channel]

The stand-in answers 429 to any post past one per second per channel or 20 per second per
workspace (and counts posts that arrive during a Retry-After as violations), and injects about
5% random 429s (Retry-After: 1) and 2% 500s. The limit allows 1,000 / 20 = 50 s; the target is
at most 1.2x that. Measured in the same run: the same fan-out with no faults injected (the
baseline), then with faults, for each scope a 429 pauses (the workspace, as the issue asks, and
the one channel, for comparison).

"Exactly once" is checked on both sides: every channel has one confirmed delivery in the store,
and the stand-in accepted exactly one post per channel (counted from the outcome it records for
every call).
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

from slack_sdk import WebClient

from progression.load import load_progression
from scheduler.fanout import run_fanout
from scheduler.limits import SlackLimits
from store import Store
from tests.conftest import BOT_TOKEN
from tests.slack.web_api import SlackWebAPI

TEAM = "T0001"
WEEK = "2026-W10"
WORKSPACE_PER_SECOND = 20


@dataclass(frozen=True)
class Run:
    name: str
    scope: str
    seconds: float
    channels: int
    posted: int
    slack_posts: int  # messages the stand-in accepted during the run
    most_per_channel: int  # the most posts any one channel had accepted
    calls: int  # chat.postMessage requests, refused ones included
    violations: int

    @property
    def allowed_seconds(self) -> float:
        return self.channels / WORKSPACE_PER_SECOND

    @property
    def ratio(self) -> float:
        return self.seconds / self.allowed_seconds

    @property
    def exactly_once(self) -> bool:
        return self.posted == self.channels == self.slack_posts and self.most_per_channel == 1


def fan_out(
    api: SlackWebAPI, workdir: Path, name: str, channels: int, scope: str, faults: bool, seed: int
) -> Run:
    api.reset()
    client = WebClient(token=BOT_TOKEN, base_url=api.url, timeout=10, retry_handlers=[])
    store = Store(workdir / f"{name}.db")
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(channels):
        store.subscribe(TEAM, f"C{n:05d}", "teacher", (), "U0MANAGER", WEEK, now)
    api.clear()
    api.enforce_limits(per_channel_per_second=1, per_workspace_per_second=WORKSPACE_PER_SECOND)
    if faults:
        api.inject_random("chat.postMessage", rate_429=0.05, rate_500=0.02, seed=seed)
    limits = SlackLimits(
        per_second=WORKSPACE_PER_SECOND,
        pause_scope=cast(Literal["workspace", "channel"], scope),
    )
    started = time.monotonic()
    report = run_fanout(store, load_progression(), client, TEAM, WEEK, now, limits=limits)
    seconds = time.monotonic() - started
    violations = api.limit_violations
    posts = api.calls("chat.postMessage")
    accepted = Counter(str(c.params["channel"]) for c in posts if c.outcome == "ok")
    api.reset()
    confirmed = {d.ts for n in range(channels) for d in store.deliveries(TEAM, f"C{n:05d}")}
    store.close()
    return Run(
        name=name,
        scope=scope,
        seconds=seconds,
        channels=channels,
        posted=len(report.posted) if len(confirmed) == len(report.posted) else -1,
        slack_posts=sum(accepted.values()),
        most_per_channel=max(accepted.values(), default=0),
        calls=len(posts),
        violations=violations,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--scopes", default="workspace,channel")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    runs: list[Run] = []
    with SlackWebAPI() as api, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.no_baseline:
            runs.append(fan_out(api, workdir, "no faults", args.channels, "workspace", False, 0))
        for scope in args.scopes.split(","):
            name = f"5% 429 + 2% 500, 429 pauses the {scope}"
            runs.append(fan_out(api, workdir, name, args.channels, scope, True, args.seed))
    _report(runs)


def _report(runs: list[Run]) -> None:
    print(
        "| run | seconds | / 50 s allowed | posted (store) | accepted by Slack | exactly once "
        "| postMessage calls | limit violations |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        print(
            f"| {run.name} | {run.seconds:.1f} | {run.ratio:.2f} | {run.posted} "
            f"| {run.slack_posts} | {'yes' if run.exactly_once else 'NO'} | {run.calls} "
            f"| {run.violations} |"
        )
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    rows = [{**run.__dict__, "ratio": run.ratio, "exactly_once": run.exactly_once} for run in runs]
    (out / "fanout.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
