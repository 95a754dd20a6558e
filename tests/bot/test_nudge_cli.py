"""`progression-bot nudge` as an operator (or cron) runs it: its own process, the stand-in over
HTTP, a real database file; killed with SIGKILL midway and run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from progression.calendar import SchoolBreak, WeeklySlot
from store import Store
from store.leases import fanout_lease
from tests.conftest import ROOT, app_env
from tests.scheduler import MANAGER, TEAM, post_calls, subscribe, texts
from tests.slack.web_api import SlackWebAPI


def nudge_command() -> list[str]:
    """`progression-bot nudge`, as an operator or cron runs it."""
    return [sys.executable, "-m", "bot.cli", "nudge"]


def nudge(
    api: SlackWebAPI, db: Path, *args: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*nudge_command(), *args],
        cwd=ROOT,
        env=app_env(api, db, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def prepare(db: Path, channels: Sequence[str]) -> None:
    store = Store(db)
    subscribe(store, *channels)
    store.close()


def outcomes(stdout: str) -> dict[str, tuple[str, str]]:
    """channel -> (outcome, ref) from the per-channel lines."""
    found: dict[str, tuple[str, str]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if line.startswith("  ") and len(parts) >= 3:
            found[parts[0]] = (parts[1], parts[2])
    return found


def test_nudge_week_posts_once_then_nothing_then_the_next_move(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "progression.db"
    prepare(db, ["C1", "C2"])

    first = nudge(api, db, "--week", "2026-W10")
    assert first.returncode == 0, first.stderr
    assert outcomes(first.stdout) == {"C1": ("posted", "1.7"), "C2": ("posted", "1.7")}
    assert "2 posted" in first.stdout

    again = nudge(api, db, "--week", "2026-W10")
    assert outcomes(again.stdout) == {"C1": ("skipped", "-"), "C2": ("skipped", "-")}
    assert post_calls(api) == {"C1": 1, "C2": 1}

    preview = nudge(api, db, "--week", "2026-W11", "--dry-run")
    assert outcomes(preview.stdout)["C1"] == ("would_post", "1.8")
    assert "Next move 1.8" in preview.stdout and "nothing posted" in preview.stdout
    assert post_calls(api) == {"C1": 1, "C2": 1}

    following = nudge(api, db, "--week", "2026-W11")
    assert outcomes(following.stdout)["C1"] == ("posted", "1.8")
    assert "Next move 1.8" in texts(api, "C1")[-1]


def test_nudge_a_break_week_posts_nothing(api: SlackWebAPI, tmp_path: Path) -> None:
    db = tmp_path / "progression.db"
    prepare(db, ["C1"])
    store = Store(db)
    store.add_break(
        TEAM,
        SchoolBreak(date(2026, 3, 2), date(2026, 3, 8)),
        MANAGER,
        datetime(2026, 2, 1, tzinfo=UTC),
    )
    store.close()

    result = nudge(api, db, "--week", "2026-W10")
    assert result.returncode == 0, result.stderr
    assert "school break" in result.stdout
    assert api.calls("chat.postMessage") == []


def test_nothing_due_says_when_the_next_nudge_goes_out_in_words(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "p.db"
    chicago = ZoneInfo("America/Chicago")
    now = datetime.now(UTC)
    today = now.astimezone(chicago).date()
    monday = today - timedelta(days=today.weekday())
    store = Store(db)
    subscribe(store, "C1")
    store.set_schedule(TEAM, WeeklySlot(0, time_of_day(8, 0), "America/Chicago"), now)
    store.add_break(TEAM, SchoolBreak(monday, monday + timedelta(days=4)), MANAGER, now)
    store.close()
    result = nudge(api, db)
    assert result.returncode == 0, result.stderr
    following = monday + timedelta(weeks=1)
    assert result.stdout.strip() == (
        f"{TEAM}: nothing due yet; the next nudge goes out "
        f"Monday {following.day} {following:%B %Y} at 08:00 (America/Chicago)"
    )
    assert api.calls("chat.postMessage") == []


def test_nudge_refuses_a_week_that_does_not_exist(api: SlackWebAPI, tmp_path: Path) -> None:
    result = nudge(api, tmp_path / "progression.db", "--week", "2026-W60")
    assert result.returncode == 2
    assert "2026-W60" in result.stderr


def test_a_channel_slack_keeps_failing_makes_nudge_exit_non_zero(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "progression.db"
    prepare(db, ["C1"])
    api.faults.fail("chat.postMessage", "invalid_blocks", times=1, channel="C1")
    result = nudge(api, db, "--week", "2026-W10")
    assert result.returncode == 1
    assert outcomes(result.stdout)["C1"] == ("failed", "1.7")


@pytest.mark.parametrize(("per_minute", "within"), [("120", True), ("600", False)])
def test_the_workspace_pace_setting_keeps_posts_inside_the_rate_slack_enforces(
    api: SlackWebAPI, tmp_path: Path, per_minute: str, within: bool
) -> None:
    db = tmp_path / "progression.db"
    channels = [f"C{n}" for n in range(8)]
    prepare(db, channels)
    api.faults.enforce_limits(per_channel_per_second=1, per_workspace_per_second=2)  # 120 a minute
    result = nudge(api, db, "--week", "2026-W10", PROGRESSION_POSTS_PER_MINUTE=per_minute)
    assert result.returncode == 0, result.stderr
    refused = [c for c in api.calls("chat.postMessage") if c.outcome == "ratelimited"]
    assert (refused == []) is within
    assert "8 posted" in result.stdout


@pytest.mark.parametrize("value", ["inf", "nan", "1e-9", "0.5", "0", "-5", "fast", "", "60001"])
def test_a_pace_that_cannot_work_is_one_line_that_names_it_and_posts_nothing(
    api: SlackWebAPI, tmp_path: Path, value: str
) -> None:
    db = tmp_path / "progression.db"
    prepare(db, ["C1", "C2", "C3"])
    result = nudge(api, db, "--week", "2026-W10", PROGRESSION_POSTS_PER_MINUTE=value)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("progression-bot: PROGRESSION_POSTS_PER_MINUTE is ")
    # The stand-in is on this machine: it is not Slack, and may be driven faster than Slack.
    assert line.endswith("from 1 to 60000 (SLACK_API_URL is on this machine, not Slack)")
    assert result.stdout == ""
    assert api.calls("chat.postMessage") == []
    store = Store(db)
    assert [store.deliveries(TEAM, c) for c in ("C1", "C2", "C3")] == [[], [], []]
    store.close()


def test_a_second_nudge_while_one_runs_says_so_in_one_line_and_posts_nothing(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "progression.db"
    prepare(db, ["C1"])
    store = Store(db)
    # A fan-out running on another host, renewing its lease.
    lease = store.take_lease(fanout_lease(TEAM), "web-2:4242", time.time(), 60)
    assert lease.holder == "web-2:4242"
    store.close()
    result = nudge(api, db, "--week", "2026-W10")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{TEAM} 2026-W10: a fan-out for {TEAM} is already running (web-2:4242), "
        "nothing posted by this one; run it again once that one is done"
    ]
    assert result.stderr == ""
    assert api.calls("chat.postMessage") == []


def test_two_processes_running_the_same_week_post_each_channel_once(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "progression.db"
    channels = [f"C{n:03d}" for n in range(60)]
    prepare(db, channels)
    api.faults.delay("chat.postMessage", 0.02)
    command = [*nudge_command(), "--week", "2026-W10"]
    runs = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=app_env(api, db, PROGRESSION_POSTS_PER_MINUTE="30000"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=60) for run in runs]
    # One delivers the week; the other, if it started while the first ran, says so and stops.
    for run, (stdout, stderr) in zip(runs, results, strict=True):
        assert run.returncode == 0 or (
            run.returncode == 1 and "already running" in stdout and not stderr
        ), (stdout, stderr)
    assert post_calls(api) == {channel: 1 for channel in channels}


def test_killed_midway_and_rerun_no_channel_twice_and_the_rest_posted_or_unconfirmed(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "progression.db"
    channels = [f"C{n:03d}" for n in range(300)]
    prepare(db, channels)
    concurrency = 8
    # Slack slow to answer: posts are in flight when killed.
    api.faults.delay("chat.postMessage", 0.1)
    command = [
        *nudge_command(),
        "--week",
        "2026-W10",
        "--concurrency",
        str(concurrency),
    ]
    log = (tmp_path / "killed.log").open("w")
    env = app_env(api, db, PROGRESSION_POSTS_PER_MINUTE="12000")
    victim = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        api.wait_for("chat.postMessage", 100, timeout=30)
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        log.close()
    assert victim.returncode == -signal.SIGKILL
    api.faults.delay("chat.postMessage", 0)

    # The killed run's lease has not expired: the rerun sees it died and takes over.
    rerun = nudge(api, db, "--week", "2026-W10", PROGRESSION_POSTS_PER_MINUTE="12000")
    assert rerun.returncode == 0, rerun.stderr

    # The dead process's in-flight requests have landed by now: the rerun took over a second.
    sent = post_calls(api)
    assert max(sent.values()) == 1, "a channel was posted twice"
    store = Store(db)
    states = {c: [d.state for d in store.deliveries(TEAM, c)] for c in channels}
    store.close()
    assert all(len(s) == 1 for s in states.values()), "every channel has its one delivery"
    unconfirmed = [c for c, s in states.items() if s == ["unconfirmed"]]
    posted = [c for c, s in states.items() if s == ["posted"]]
    assert len(posted) + len(unconfirmed) == len(channels)
    assert all(sent[c] == 1 for c in posted)
    assert 0 < len(unconfirmed) <= concurrency
    assert f"{len(unconfirmed)} unconfirmed" in rerun.stdout
