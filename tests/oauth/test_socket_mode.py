"""Add to Slack beside Socket Mode: `serve` without --http, in multi-workspace mode, serves the
two install pages over HTTP and nothing else, and answers each workspace installed there over
the WebSocket with that workspace's own token."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import (
    APP_TOKEN,
    SIGNING_SECRET,
    RunningApp,
    free_port,
    run_cli,
    stop_process,
)
from tests.oauth.flow import install, multi_workspace_env
from tests.slack.signing import sign, slash_command_body
from tests.slack.socket_mode import SocketModeServer
from tests.slack.web_api import SlackWebAPI

TEAMS = {"TSA": "Lincoln", "TSB": "Washington"}


@contextmanager
def socket_mode_deployment(
    api: SlackWebAPI, workdir: Path
) -> Iterator[tuple[RunningApp, SocketModeServer]]:
    """`serve` in Socket Mode with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: no bot token, no
    signing secret; the install pages on a port of their own."""
    with SocketModeServer() as server:
        env = _env(api, server, workdir)
        port = free_port()
        log = workdir / "serve.log"
        command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
        with log.open("w") as output:
            process = subprocess.Popen(
                [*command, "--port", str(port)],
                cwd=workdir,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        app = RunningApp(process, f"http://127.0.0.1:{port}", log)
        try:
            server.wait_connected(timeout=20)
            yield app, server
        finally:
            stop_process(process)


def _env(api: SlackWebAPI, server: SocketModeServer, workdir: Path) -> dict[str, str]:
    api.socket_url = server.url
    env = multi_workspace_env(api, workdir / "progression.db")
    env.pop("SLACK_SIGNING_SECRET")
    env["SLACK_APP_TOKEN"] = APP_TOKEN
    return env


def _workspace(api: SlackWebAPI, team: str) -> tuple[str, str]:
    channel, admin = f"C{team}", f"UADM{team}"
    api.add_channel(channel, name=f"{team.lower()}-teachers", team_id=team)
    api.add_user(admin, is_admin=True)
    api.add_member(channel, admin)
    return channel, admin


def _token(api: SlackWebAPI, team: str) -> str:
    return next(t for t, grant in api.installs.tokens.items() if grant.team_id == team)


def test_each_workspace_installs_over_http_and_is_answered_over_the_socket_with_its_token(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    with socket_mode_deployment(api, tmp_path) as (app, server):
        for team, name in TEAMS.items():
            page = install(app, api, team, name)
            assert page.status == 200 and f"installed in {name}" in page.body, page
        for team in TEAMS:
            channel, admin = _workspace(api, team)
            api.clear()
            command = slash_command_body(
                "subscribe teacher",
                user_id=admin,
                channel_id=channel,
                team_id=team,
                response_url=api.response_url(f"sub-{team}"),
            )
            ack = server.wait_for_ack(server.send_envelope("slash_commands", command), timeout=10)
            assert "Checking with Slack that you can manage" in json.dumps(ack["payload"])
            [answer] = api.wait_for_response_url(f"sub-{team}", timeout=10)
            assert "now gets one *Teacher* move a week" in json.dumps(answer.params), answer
            # The admin was asked about with this workspace's token, and only with it.
            assert {call.token for call in api.calls("users.info")} == {_token(api, team)}
    assert not any(_token(api, team) in app.output() for team in TEAMS)  # no token logged
    assert APP_TOKEN not in app.output()


def test_the_install_pages_take_no_slack_request(api: SlackWebAPI, tmp_path: Path) -> None:
    """In Socket Mode the app checks no signature: a request sent to the pages' port as Slack
    would send it over HTTP, signed even, is not served."""
    with socket_mode_deployment(api, tmp_path) as (app, _server):
        body = "&".join(f"{k}={v}" for k, v in slash_command_body("help").items()).encode()
        for path in ("/slack/events", "/slack/install"):
            signed = sign(SIGNING_SECRET, body, int(time.time()))
            request = urllib.request.Request(app.url + path, data=body, headers=signed)
            try:
                urllib.request.urlopen(request, timeout=10)
                raise AssertionError(f"POST {path} was served")
            except urllib.error.HTTPError as error:
                assert error.code == 404
        with urllib.request.urlopen(app.url + "/healthz", timeout=10) as health:
            assert health.read() == b"ok\n"
    assert api.calls("response_url") == []


def test_a_port_the_pages_cannot_have_is_one_line_naming_it(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    with SocketModeServer() as server, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = ("serve", "--host", "127.0.0.1", "--port", str(port))
        result = run_cli(*command, env=_env(api, server, tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"progression-bot: --host 127.0.0.1 --port {port}: the install pages cannot be served "
        "there (Address already in use)"
    ]
