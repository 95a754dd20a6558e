"""How long a stop or a takeover takes in the middle of a fan-out (60 channels, Slack answering
each post in 0.2 s, so posts are in flight):

    .venv/bin/python -m benchmarks.stopping [--repeat 3]

1. `serve --http` (two web workers and its runner) gets SIGTERM: seconds until the process has
   exited, and whether the runner lease was given up (not left to lapse).
2. `progression-bot runner` alone gets SIGTERM: the same.
3. Two runners on two hosts (each in a UTS namespace with a hostname of its own, so neither can
   see whether the other's process lives: only leases lapse), the active one SIGKILLed: seconds
   from the kill until every channel's week is posted (or unconfirmed), with a 3 s lease; and
   how many channels were left when it was killed. Needs root (unshare).

The medians go with the runs. Before this was fixed, 1 took 60.5 s and 2 never ended (the runner
deadlocked on its own scheduler), and 3 was not done after 165 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bot.test_runner_faults import channels, runner_lease_row, week_done
from tests.bot.test_runner_processes import delivery_states, due_now, lease_holder, wait_until
from tests.conftest import app_env, start_http_app, stop_app
from tests.slack.web_api import SlackWebAPI

CHANNELS = 60


def _exited_within(process: subprocess.Popen[str] | subprocess.Popen[bytes], asked: float) -> float:
    """Seconds from `asked` until the process exited; infinity past two minutes (then killed)."""
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        return float("inf")
    return time.monotonic() - asked


def serve_sigterm(api: SlackWebAPI, workdir: Path) -> tuple[float, bool]:
    db, names = workdir / "p.db", channels(CHANNELS)
    due_now(db, names)
    app = start_http_app(app_env(api, db), workdir, workers=2)
    try:
        api.wait_for("chat.postMessage", 10, timeout=30)
        asked = time.monotonic()
        app.process.terminate()
        took = _exited_within(app.process, asked)
    finally:
        stop_app(app)
    return took, runner_lease_row(db) is None


def runner_sigterm(api: SlackWebAPI, workdir: Path) -> tuple[float, bool]:
    db, names = workdir / "p.db", channels(CHANNELS)
    due_now(db, names)
    log = (workdir / "runner.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "runner"],
        cwd=workdir,
        env=app_env(api, db),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        api.wait_for("chat.postMessage", 10, timeout=30)
        asked = time.monotonic()
        process.terminate()
        took = _exited_within(process, asked)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    return took, runner_lease_row(db) is None


def takeover_on_another_host(api: SlackWebAPI, workdir: Path) -> tuple[float, int]:
    db, names = workdir / "p.db", channels(CHANNELS)
    due_now(db, names)
    env = app_env(api, db, PROGRESSION_RUNNER_LEASE="3")
    started = []
    for host in ("host-a", "host-b"):
        log = (workdir / f"{host}.log").open("w")
        command = ["unshare", "--uts", "sh", "-c", f'hostname {host} && exec "$0" "$@"']
        command += [sys.executable, "-m", "bot.cli", "runner"]
        started.append(
            subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
        if host == "host-a":
            wait_until(lambda: lease_holder(db) is not None, 20, "host-a to take the lease")
    try:
        api.wait_for("chat.postMessage", 10, timeout=30)
        os.kill(started[0].pid, signal.SIGKILL)
        killed = time.monotonic()
        left = sum(1 for s in delivery_states(db, names).values() if not s)
        wait_until(lambda: week_done(db, names), 300, "the week")
        return time.monotonic() - killed, left
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"serve": [], "runner": [], "takeover": []}
    with SlackWebAPI() as api:
        for run in range(args.repeat):
            for name, measure in (("serve", serve_sigterm), ("runner", runner_sigterm)):
                api.reset()
                api.faults.delay("chat.postMessage", 0.2)
                with tempfile.TemporaryDirectory() as place:
                    took, released = measure(api, Path(place))
                results[name].append(took)
                print(f"run {run + 1}: {name} SIGTERM mid fan-out: exited in {took:.1f} s, "
                      f"lease {'given up' if released else 'LEFT HELD'}")  # fmt: skip
            if os.geteuid() == 0:
                api.reset()
                api.faults.delay("chat.postMessage", 0.2)
                with tempfile.TemporaryDirectory() as place:
                    took, left = takeover_on_another_host(api, Path(place))
                results["takeover"].append(took)
                print(f"run {run + 1}: takeover on another host (lease 3 s): {left} channels "
                      f"left at the kill, all done {took:.1f} s after it")  # fmt: skip
    for name, times in results.items():
        if times:
            print(f"median {name}: {statistics.median(times):.1f} s over {len(times)} run(s)")


if __name__ == "__main__":
    main()
