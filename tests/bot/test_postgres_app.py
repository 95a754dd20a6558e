"""The whole app on PostgreSQL, as an operator deploys it: `PROGRESSION_DB=postgresql://…`.

A manager subscribes a channel with a signed slash command to `serve --http`, `progression-bot
nudge` posts the week's move, a reaction (and Slack's retry of it) checks it off, and the
progress, the live count and `export` all show it once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Store
from tests.bot.answers import final_answer
from tests.conftest import (
    SIGNING_SECRET,
    RunningApp,
    app_env,
    free_port,
    run_cli,
    start_http_app,
    stop_app,
)
from tests.postgres import fresh_database
from tests.slack.signing import TEAM_ID, SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

MANAGER = "UPGADMIN"
CHANNEL = "CPG0001"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
def app(api: SlackWebAPI, postgres_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    running = start_http_app(app_env(api, postgres_url), tmp_path)
    yield running
    stop_app(running)


def test_subscribe_nudge_react_and_export_on_postgresql(
    api: SlackWebAPI, app: RunningApp, postgres_url: str, tmp_path: Path
) -> None:
    api.add_user(MANAGER, is_admin=True)
    with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
        said = final_answer(slack, api, "subscribe teacher", user_id=MANAGER, channel_id=CHANNEL)
        assert "now gets one *Teacher* move" in str(said)

        store = Store(postgres_url)
        try:
            subscription = store.subscription(TEAM_ID, CHANNEL)
            assert subscription is not None
            env = app_env(api, postgres_url)
            week = run_cli("nudge", "--week", subscription.first_week, env=env, cwd=tmp_path)
            assert week.returncode == 0, week.stderr
            assert "1 posted" in week.stdout
            [delivery] = store.deliveries(TEAM_ID, CHANNEL)
        finally:
            store.close()
        assert delivery.state == "posted" and delivery.ts

        event = reaction_event(
            "reaction_added",
            user="U1",
            reaction="white_check_mark",
            channel=CHANNEL,
            ts=delivery.ts,
        )
        assert slack.event(event, event_id="EvPG1").status == 200
        assert slack.event(event, event_id="EvPG1", retry_num=1).status == 200

        progress = str(slack.command("progress", user_id="U1", channel_id=CHANNEL).json())
        assert delivery.ref in progress and "✅ 1 done" in progress
        updates = api.wait_for("chat.update", 1)
        assert "1 done" in str(updates[-1].params)

    export = run_cli("export", env=env, cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert [(r["channel"], r["move"], r["user"], r["role"]) for r in rows] == [
        (CHANNEL, delivery.ref, "U1", "teacher")
    ]


@pytest.mark.parametrize(
    ("database", "says"),
    [
        ("mysql://root@127.0.0.1/x", "PROGRESSION_DB is wrong:"),
        ("postgresql://postgres@127.0.0.1:{port}/x", "PROGRESSION_DB: cannot connect to"),
    ],
)
def test_a_wrong_progression_db_stops_serve_with_one_line(
    api: SlackWebAPI, tmp_path: Path, database: str, says: str
) -> None:
    env = app_env(api, database.format(port=free_port()))
    result = run_cli("serve", "--http", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()[-1:]
    assert says in line and "Traceback" not in result.stderr
