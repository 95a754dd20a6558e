"""A runner started on its own (`progression-bot runner --metrics-port`) answers /metrics on a
port of its own: its fan-outs, its Slack calls and its lease, with the same access rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import app_env, free_port, stop_process
from tests.ops.scraping import value, wait_for
from tests.ops.test_metrics_http import subscribed_with_a_week_due
from tests.slack.web_api import SlackWebAPI


def test_a_runner_alone_serves_its_own_metrics(api: SlackWebAPI, tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    subscribed_with_a_week_due(db)
    port = free_port()
    log = tmp_path / "runner.log"
    with log.open("w") as sink:
        runner = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "runner", "--metrics-port", str(port),
             "--metrics-host", "127.0.0.1"],
            cwd=tmp_path, env=app_env(api, db), stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        samples = wait_for(
            url,
            lambda s: (
                value(s, "progression_weekly_posts_total", kind="nudge", outcome="posted") == 1
                and value(s, "progression_runner_lease_held") == 1
            ),
            what="the runner's fan-out and lease",
            connection_errors=True,
        )
        calls = "progression_slack_api_calls_total"
        assert value(samples, calls, method="chat.postMessage", outcome="ok") >= 1
        assert value(samples, "progression_outbox_depth", kind="count") == 0
    finally:
        stop_process(runner)
    assert "Traceback" not in log.read_text(), log.read_text()
