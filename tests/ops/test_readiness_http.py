"""GET /readyz of a web tier started with `serve --http --no-runner`: not ready until a runner
elsewhere holds the lease, ready while it does, and not ready again once no runner has renewed
it for PROGRESSION_RUNNER_LEASE seconds (the runner killed outright, which gives nothing up)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import app_env, start_http_app, stop_app, stop_process
from tests.slack.web_api import SlackWebAPI

LEASE = 3.0


def ready(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def wait_until(url: str, status: int, timeout: float) -> tuple[float, str]:
    """Seconds until /readyz answers `status` (another process's doing, not a schedule)."""
    started = time.monotonic()
    while True:
        got, line = ready(url)
        if got == status:
            return time.monotonic() - started, line
        assert time.monotonic() - started < timeout, f"still {got}: {line}"
        time.sleep(0.05)


def test_a_web_tier_without_a_runner_is_ready_only_while_one_works_elsewhere(
    api: SlackWebAPI, tmp_path: Path, database: str
) -> None:
    env = app_env(api, database, PROGRESSION_RUNNER_LEASE=f"{LEASE:g}")
    web = start_http_app(env, tmp_path, extra=["--no-runner"])
    runner: subprocess.Popen[bytes] | None = None
    try:
        status, line = ready(web.url)
        assert status == 503
        assert line == (
            "not ready: no runner has renewed the runner lease in the last 3 s "
            "(PROGRESSION_RUNNER_LEASE)\n"
        )
        with urllib.request.urlopen(web.url + "/healthz", timeout=5) as alive:
            assert alive.status == 200  # liveness is not readiness
        runner = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "runner"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, line = wait_until(web.url, 200, timeout=30)
        assert line == "ready\n"
        runner.send_signal(signal.SIGKILL)  # no lease given up: it must lapse
        runner.wait(timeout=10)
        lapsed, line = wait_until(web.url, 503, timeout=LEASE + 10)
        assert lapsed <= LEASE + 1
        assert "no runner has renewed the runner lease" in line
    finally:
        if runner is not None:
            stop_process(runner)
        stop_app(web)
