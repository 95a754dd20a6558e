"""The baseline: a bare Bolt app deployed at its best on this machine. It acks `/progression`
with "ok" and acks reactions, and does nothing else, answering inside the HTTP response
(`process_before_response=True`) from gunicorn with one sync worker per core, the deployment
Bolt's own gunicorn example uses."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request

from slack_bolt import Ack, App

from bot.edge.gunicorn import serve_http
from bot.edge.wsgi import wsgi_app
from bot.settings import load_settings
from bot.slack.client import slack_client


def build() -> App:
    settings = load_settings()
    assert settings.slack_signing_secret is not None
    # Configured as ours is (answer in the ack), so the comparison is of the work done only.
    app = App(
        client=slack_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
    )

    @app.command("/progression")
    def ok(ack: Ack) -> None:
        ack("ok")

    def acked(ack: Ack) -> None:
        ack()

    app.event("reaction_added")(acked)
    app.event("reaction_removed")(acked)
    return app


def start_bare_app(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The baseline in its own process; returns once it answers /healthz."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bare_app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port)
    return process


def wait_ready(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)  # polling a process's readiness
    raise RuntimeError("the bare app did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, help="sync workers (default: the machine's cores)")
    args = parser.parse_args()
    workers = args.workers or os.cpu_count() or 1
    serve_http(
        lambda: wsgi_app(build()), "127.0.0.1", args.port, workers=workers, worker_class="sync"
    )


if __name__ == "__main__":
    main()
