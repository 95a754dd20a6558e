"""Shared fixtures: a Slack Web API stand-in, and the app running as Slack would reach it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.slack.signing import SlackSender
from tests.slack.socket_mode import SocketModeServer
from tests.slack.web_api import SlackWebAPI

# PostgreSQL databases of the tests' own (skipped, saying how to enable them, without a server),
# and PostgreSQL servers of their own (`own_server`), for the faults they stop and crash.
pytest_plugins = ["tests.postgres", "tests.own_postgres"]

BOT_TOKEN = "xoxb-test-bot-token-never-logged"
APP_TOKEN = "xapp-test-app-token-never-logged"
SIGNING_SECRET = "test-signing-secret-never-logged"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_env(api: SlackWebAPI, db: Path | str, **extra: str) -> dict[str, str]:
    """The environment of a real `progression-bot` process pointed at the stand-in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROGRESSION_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api.url,
        PROGRESSION_DB=str(db),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    unprivileged: bool = False,
    stdout: Any = subprocess.PIPE,
) -> subprocess.CompletedProcess[str]:
    """`progression-bot ARGS` as an operator runs it: its own process, its own environment.

    `unprivileged`: file permissions apply even when the tests run as root (see
    tests/unprivileged.py). `stdout` may be a file, such as /dev/full.
    """
    python = [sys.executable]
    if unprivileged and os.geteuid() == 0:
        python.append(str(ROOT / "tests" / "unprivileged.py"))
    return subprocess.run(
        [*python, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env if env is not None else {"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class RunningApp:
    process: subprocess.Popen[str]
    url: str
    log: Path
    db: Path = Path("progression.db")

    def output(self) -> str:
        return self.log.read_text()


def start_http_app(
    env: dict[str, str],
    workdir: Path,
    timeout: float = 20,
    workers: int = 2,
    extra: Sequence[str] = (),
) -> RunningApp:
    """`progression-bot serve --http` in its own process (its web workers and a runner beside
    them); returns once /healthz answers."""
    port = free_port()
    log = workdir / f"app-{port}.log"
    with log.open("w") as sink:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                "--http",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                *extra,
            ],
            cwd=workdir,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return RunningApp(process, base, log, Path(env["PROGRESSION_DB"]))
        except OSError:
            time.sleep(0.05)  # polling readiness of a process, not waiting for a schedule
    process.kill()
    raise RuntimeError(f"app did not become ready:\n{log.read_text()}")


def stop_process(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM, as an operator or systemd stops it; SIGKILL past `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_app(app: RunningApp) -> None:
    stop_process(app.process)


@dataclass
class SocketModeApp:
    server: SocketModeServer
    process: subprocess.Popen[str]
    env: dict[str, str]
    output: str = ""  # what the process printed, once it has stopped


@contextmanager
def socket_mode_app(api: SlackWebAPI, workdir: Path) -> Iterator[SocketModeApp]:
    """`progression-bot serve` in Socket Mode, connected to a local Socket Mode server;
    stopped with SIGTERM on exit, its output checked for tokens."""
    with SocketModeServer() as server:
        api.socket_url = server.url
        env = app_env(api, workdir / "progression.db", SLACK_APP_TOKEN=APP_TOKEN)
        env.pop("SLACK_SIGNING_SECRET")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        app = SocketModeApp(server, process, env)
        try:
            server.wait_connected(timeout=20)
            yield app
        finally:
            process.send_signal(signal.SIGTERM)
            app.output, _ = process.communicate(timeout=30)
        assert APP_TOKEN not in app.output and BOT_TOKEN not in app.output


@pytest.fixture(scope="session")
def slack_api() -> Iterator[SlackWebAPI]:
    with SlackWebAPI() as api:
        yield api


@pytest.fixture
def api(slack_api: SlackWebAPI) -> Iterator[SlackWebAPI]:
    """The session's stand-in, its records and faults cleared for this test."""
    slack_api.reset()
    yield slack_api
    slack_api.reset()


@pytest.fixture(scope="session")
def http_app(
    slack_api: SlackWebAPI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    workdir = tmp_path_factory.mktemp("http-app")
    app = start_http_app(app_env(slack_api, workdir / "progression.db"), workdir)
    yield app
    stop_app(app)


@pytest.fixture
def slack(http_app: RunningApp, api: SlackWebAPI) -> Iterator[SlackSender]:
    """Sends requests to the running app exactly as Slack would, signed."""
    with SlackSender(http_app.url + "/slack/events", SIGNING_SECRET) as sender:
        yield sender
