"""Many workspaces due at one slot, posted by one runner and by two sharing the work.

    .venv/bin/python -m benchmarks.many_workspaces [--workspaces 100] [--channels 20]
        [--runners 1 2] [--latency 0] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

Each workspace has `--channels` role channels and the same weekly slot: the next whole minute
at least 15 s away. `progression-bot runner` processes (one, then two, on one database) start
before it, as a deployment's runners are, and post the week when it comes. The Web API
stand-in in this process answers every post and refuses (429) a second post to a channel within
a second; each workspace's pace (300 a minute: at most 5 posts in any second) is checked on the
stand-in's record of every post, workspace by workspace. The baseline, in the same run: the
same channels in one workspace alone, one runner.

It reports, for each run: every channel posted exactly once (the store's deliveries and the
posts the stand-in accepted), the limit violations, the seconds from the slot to the last post
and from the first post to the last, beside the baseline's, and what each runner used from the
slot on: its CPU seconds (beside the wall clock: near 1 per second, a core is its limit), and
the stand-in's CPU seconds (this process).

With `--postgres SERVER_URL` the store is PostgreSQL: each run gets a database of its own on
that server, created for it and dropped after it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from bot.settings import DEFAULT_POSTS_PER_MINUTE
from progression.calendar import WeeklySlot
from store import Store
from tests.conftest import app_env
from tests.slack.web_api import SlackWebAPI

# How long a run may take before it is called stuck (bounded, as every load loop is).
GIVE_UP_SECONDS = 600.0
# The runners start at least this long before the slot, so that each has armed it.
SETTLE_SECONDS = 15.0


@dataclass(frozen=True)
class Run:
    name: str
    workspaces: int
    channels: int  # in all
    runners: int
    slot_to_last: float
    first_to_last: float
    posted: int  # deliveries the store has as posted
    accepted: int  # posts the stand-in accepted
    most_per_channel: int
    violations: int
    runner_cpu: tuple[float, ...]  # CPU seconds of each runner process
    stand_in_cpu: float

    @property
    def exactly_once(self) -> bool:
        return self.posted == self.channels == self.accepted and self.most_per_channel == 1


def team(n: int) -> str:
    return f"TMANY{n:04d}"


def channel(n: int, c: int) -> str:
    return f"C{n:04d}X{c:03d}"


def next_slot(ahead: float) -> datetime:
    """The first whole minute at least `ahead` seconds from now: every runner is up and has
    armed it by then, as runners are before a district's real slot."""
    now = datetime.now(UTC)
    slot = now.replace(second=0, microsecond=0)
    while (slot - now).total_seconds() < ahead:
        slot += timedelta(minutes=1)
    return slot


def prepare(db: Path | str, workspaces: int, channels: int, slot: datetime) -> None:
    """Every workspace's weekly slot is `slot` (its weekday, its time, UTC)."""
    store = Store(db)
    now = datetime.now(UTC)
    weekly = WeeklySlot(slot.weekday(), clock_time(slot.hour, slot.minute), "UTC")
    for n in range(workspaces):
        store.set_schedule(team(n), weekly, now)
        for c in range(channels):
            store.subscribe(team(n), channel(n, c), "teacher", (), "U0MANAGER", "2026-W02", now)
    store.close()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pace_violations(api: SlackWebAPI, per_second: float) -> int:
    """Posts past the workspace's pace: more than `per_second` in any one second."""
    recent: dict[str, deque[float]] = defaultdict(deque)
    violations = 0
    for call in api.calls("chat.postMessage"):
        if call.outcome != "ok":
            continue
        times = recent[str(call.params["channel"])[:5]]  # the workspace's number
        while times and call.at - times[0] >= 1.0:
            times.popleft()
        if len(times) >= per_second:
            violations += 1
        times.append(call.at)
    return violations


@contextlib.contextmanager
def database(workdir: Path, name: str, postgres: str | None) -> Iterator[Path | str]:
    if postgres:
        from tests.postgres import fresh_database

        with fresh_database(postgres) as url:
            yield url
    else:
        yield workdir / f"{name}.db"


def run(
    api: SlackWebAPI,
    workdir: Path,
    name: str,
    workspaces: int,
    channels: int,
    runners: int,
    latency: float,
    postgres: str | None,
) -> Run:
    with database(workdir, name, postgres) as db:
        slot = next_slot(ahead=SETTLE_SECONDS)
        prepare(db, workspaces, channels, slot)
        return _run(api, workdir, db, name, (workspaces, channels), runners, latency, slot)


def _run(
    api: SlackWebAPI,
    workdir: Path,
    db: Path | str,
    name: str,
    size: tuple[int, int],
    runners: int,
    latency: float,
    slot_at: datetime,
) -> Run:
    workspaces, channels = size
    api.reset()
    api.faults.enforce_limits(per_channel_per_second=1, per_workspace_per_second=100_000)
    api.faults.delay("chat.postMessage", latency)
    total = workspaces * channels
    env = app_env(api, db)
    # The slot on the monotonic clock the stand-in records its calls on.
    slot = time.monotonic() + (slot_at.timestamp() - time.time())
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "runner"],
            cwd=workdir,
            env=env,
            stdout=(workdir / f"{name}-{n}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for n in range(runners)
    ]
    try:
        while time.monotonic() < slot:
            time.sleep(0.05)  # a benchmark waits for the real slot; tests never do
        cpu_before = time.process_time()
        runner_cpu_before = [cpu_seconds(p.pid) for p in processes]
        while len([c for c in api.calls("chat.postMessage") if c.outcome == "ok"]) < total:
            if time.monotonic() - slot > GIVE_UP_SECONDS:
                raise SystemExit(f"{name}: not every channel was posted within the bound")
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"{name}: a runner exited; see {workdir}")
            time.sleep(0.05)  # polling the stand-in's record, bounded above
        runner_cpu = tuple(
            cpu_seconds(p.pid) - b for p, b in zip(processes, runner_cpu_before, strict=True)
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    stand_in_cpu = time.process_time() - cpu_before
    posts = [c for c in api.calls("chat.postMessage") if c.outcome == "ok"]
    last = posts[-1].at
    accepted = Counter(str(c.params["channel"]) for c in posts)
    violations = api.faults.limit_violations + pace_violations(api, DEFAULT_POSTS_PER_MINUTE / 60)
    store = Store(db)
    posted = sum(
        d.state == "posted"
        for n in range(workspaces)
        for c in range(channels)
        for d in store.deliveries(team(n), channel(n, c))
    )
    store.close()
    return Run(
        name=name,
        workspaces=workspaces,
        channels=total,
        runners=runners,
        slot_to_last=last - slot,
        first_to_last=posts[-1].at - posts[0].at,
        posted=posted,
        accepted=sum(accepted.values()),
        most_per_channel=max(accepted.values(), default=0),
        violations=violations,
        runner_cpu=runner_cpu,
        stand_in_cpu=stand_in_cpu,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument("--channels", type=int, default=20, help="role channels per workspace")
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds Slack takes to answer")
    parser.add_argument(
        "--postgres", metavar="SERVER_URL", help="keep the store on PostgreSQL, on this server"
    )
    args = parser.parse_args()
    runs: list[Run] = []
    with SlackWebAPI() as api, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for n in range(args.repeat):
            runs.append(
                run(api, workdir, f"baseline-{n}", 1, args.channels, 1, args.latency, args.postgres)
            )
            for count in args.runners:
                runs.append(
                    run(
                        api,
                        workdir,
                        f"{count}-runners-{n}",
                        args.workspaces,
                        args.channels,
                        count,
                        args.latency,
                        args.postgres,
                    )
                )
    _report(runs, "postgresql" if args.postgres else "sqlite")


def _report(runs: list[Run], store: str) -> None:
    print(f"store: {store}")
    baseline = statistics.median(r.slot_to_last for r in runs if r.name.startswith("baseline"))
    print(
        "| run | workspaces x channels | runners | slot to last post (s) | x baseline "
        "| first to last post (s) | exactly once | limit violations | runner CPU s "
        "| stand-in CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        cpu = " + ".join(f"{c:.1f}" for c in r.runner_cpu)
        print(
            f"| {r.name} | {r.workspaces} x {r.channels // r.workspaces} | {r.runners} "
            f"| {r.slot_to_last:.1f} | {r.slot_to_last / baseline:.2f} | {r.first_to_last:.1f} "
            f"| {'yes' if r.exactly_once else 'NO'} | {r.violations} | {cpu} "
            f"| {r.stand_in_cpu:.1f} |"
        )


if __name__ == "__main__":
    main()
