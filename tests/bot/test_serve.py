"""Starting and stopping `progression-bot serve`, as an operator would."""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    app_env,
    run_cli,
    socket_mode_app,
    start_http_app,
    stop_app,
)
from tests.slack.signing import SlackSender, app_home_opened_event, slash_command_body
from tests.slack.web_api import SlackWebAPI


def _serve(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("serve", *args, env=env, cwd=cwd)


@pytest.mark.parametrize(
    ("drop", "args", "named"),
    [
        ("SLACK_BOT_TOKEN", ["--http"], "SLACK_BOT_TOKEN"),
        ("SLACK_SIGNING_SECRET", ["--http"], "SLACK_SIGNING_SECRET"),
        ("SLACK_APP_TOKEN", [], "SLACK_APP_TOKEN"),
    ],
)
def test_a_missing_setting_stops_start_up_in_one_line(
    api: SlackWebAPI, tmp_path: Path, drop: str, args: list[str], named: str
) -> None:
    env = app_env(api, tmp_path / "p.db")
    env.pop(drop, None)
    result = _serve(env, tmp_path, *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0] and "Create the Slack app" in lines[0]


def test_the_runner_without_a_token_or_with_a_refused_one_stops_in_one_line(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    env = app_env(api, tmp_path / "p.db")
    env.pop("SLACK_BOT_TOKEN")
    [line] = run_cli("runner", env=env, cwd=tmp_path).stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN is not set" in line and "Create the Slack app" in line
    api.faults.fail("auth.test", "invalid_auth")
    refused = run_cli("runner", env=app_env(api, tmp_path / "p.db"), cwd=tmp_path)
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN" in line and "invalid_auth" in line


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PROGRESSION_RUNNER_LEASE", "0.1"),
        ("PROGRESSION_TZ", "Mars/Olympus"),
        ("SLACK_API_URL", "slack.com/api"),
        ("PROGRESSION_FILE", "missing.yml"),
    ],
)
def test_a_wrong_setting_stops_start_up_in_one_line(
    api: SlackWebAPI, tmp_path: Path, setting: str, value: str
) -> None:
    result = _serve(app_env(api, tmp_path / "p.db", **{setting: value}), tmp_path, "--http")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"progression-bot: {setting} ")
    assert value in lines[0]


def test_a_refused_token_stops_start_up_in_one_line(api: SlackWebAPI, tmp_path: Path) -> None:
    api.faults.fail("auth.test", "invalid_auth")
    result = _serve(app_env(api, tmp_path / "p.db"), tmp_path, "--http")
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN" in line and "invalid_auth" in line
    assert BOT_TOKEN not in result.stderr


def test_sigterm_lets_the_request_in_flight_finish(api: SlackWebAPI, tmp_path: Path) -> None:
    app = start_http_app(app_env(api, tmp_path / "p.db"), tmp_path)
    try:
        api.faults.delay("views.publish", 2.0)
        answers: list[int] = []
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            in_flight = threading.Thread(
                target=lambda: answers.append(slack.event(app_home_opened_event("U1")).status)
            )
            in_flight.start()
            api.wait_for("views.publish", count=1, timeout=10)  # the request is in the app
            app.process.send_signal(signal.SIGTERM)
            in_flight.join(timeout=30)
        assert answers == [200]
        assert app.process.wait(timeout=30) == 0
    finally:
        api.faults.delay("views.publish", 0)
        stop_app(app)


def test_tokens_never_reach_the_log(api: SlackWebAPI, tmp_path: Path) -> None:
    env = app_env(api, tmp_path / "p.db", SLACK_APP_TOKEN=APP_TOKEN)
    app = start_http_app(env, tmp_path)
    try:
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            slack.command("phase 3")
            slack.command("<!channel> nonsense")
            slack.event(app_home_opened_event("U1"))
    finally:
        stop_app(app)
    log = app.output()
    assert "Serving Slack requests" in log
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in log


def test_app_home_shows_what_the_app_does(slack: SlackSender, api: SlackWebAPI) -> None:
    assert slack.event(app_home_opened_event("U9")).status == 200
    [published] = api.wait_for("views.publish", count=1)
    assert published.params["user_id"] == "U9"
    assert "/progression" in str(published.params["view"])


def test_socket_mode_answers_a_command_in_its_ack(api: SlackWebAPI, tmp_path: Path) -> None:
    with socket_mode_app(api, tmp_path) as app:
        # One call checks the app token before start-up, one opens the connection.
        opened = api.calls("apps.connections.open")
        assert len(opened) == 2 and {call.token for call in opened} == {APP_TOKEN}
        envelope = app.server.send_envelope("slash_commands", dict(slash_command_body("3.8")))
        ack = app.server.wait_for_ack(envelope, timeout=10)
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "Write directions or create video tutorials" in str(ack["payload"])
        for _ in range(2):  # the second answer comes from the reply cache
            envelope = app.server.send_envelope(
                "slash_commands", dict(slash_command_body("phase 3"))
            )
            ack = app.server.wait_for_ack(envelope, timeout=10)
            assert "Engagement in Independent Learning" in str(ack["payload"])
    assert app.process.returncode == 0, app.output
