"""Token rotation: the runner refreshes each installation's token before it expires, with
tokens that live 30 seconds here (Slack's live 12 hours), on a clock the test moves; a refresh
that fails is tried again, and a refused refresh token stops that workspace alone."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot

from bot.background.rotation import TokenRotation
from store import Store
from store.installations import StoredInstallations
from store.outbox import Work
from tests.conftest import SIGNING_SECRET, stop_app
from tests.oauth.flow import CLIENT_ID, CLIENT_SECRET, install, start_multi_workspace_app
from tests.slack.signing import SlackSender
from tests.slack.web_api import SlackWebAPI

LIFE = 30.0  # seconds a token lives
T0 = 1_800_000_000.0


class Wall:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall(api: SlackWebAPI) -> Iterator[Wall]:
    wall = Wall()
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    api.installs.rotate_every, api.installs.wall = LIFE, wall
    yield wall
    api.installs.wall = __import__("time").time


def install_now(api: SlackWebAPI, store: Store, team: str, wall: Wall) -> str:
    """Add to Slack for `team`, as the web worker's OAuth flow saves it: the token, its refresh
    token and its expiry."""
    answer = WebClient(base_url=api.url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=api.installs.allow(team, team)
    )
    bot = Bot(
        team_id=team,
        bot_token=str(answer["access_token"]),
        bot_id="B",
        bot_user_id=str(answer["bot_user_id"]),
        bot_refresh_token=str(answer["refresh_token"]),
        bot_token_expires_at=int(wall.now + float(answer["expires_in"])),
        installed_at=wall.now,
    )
    StoredInstallations(store).save_bot(bot)
    return bot.bot_token or ""


def duty(api: SlackWebAPI, store: Store) -> TokenRotation:
    return TokenRotation(
        store, WebClient(base_url=api.url), client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )


def rotate_work(store: Store, team: str) -> Work:
    [work] = [w for w in store.pending_work("rotate") if w.team_id == team]
    return work


def token_of(store: Store, team: str) -> str:
    row = store.installation_row("", team)
    assert row is not None
    return str(row["bot_token"])


def works(api: SlackWebAPI, token: str) -> bool:
    try:
        WebClient(token=token, base_url=api.url).auth_test()
    except SlackApiError as error:
        assert error.response["error"] == "token_expired"
        return False
    return True


def test_each_token_is_refreshed_before_it_expires_and_the_new_one_is_used(
    api: SlackWebAPI, store: Store, wall: Wall
) -> None:
    first = install_now(api, store, "TROT1", wall)
    rotation = duty(api, store)
    work = rotate_work(store, "TROT1")  # asked for when the installation was saved
    assert rotation.ready_at(work, T0) == T0 + LIFE / 2  # half its life gone

    for _ in range(4):  # four lifetimes: each token replaced while it still works
        wall.now = rotation.ready_at(work, wall.now)
        rotation.do(work, wall.now)
        current = token_of(store, "TROT1")
        assert current != first and works(api, current)
        work = rotate_work(store, "TROT1")  # the next refresh, asked for with the save
        wall.now += LIFE / 2 + 1
        assert not works(api, first), "the replaced token expired as Slack's would"
        first = current
    assert api.calls("oauth.v2.access")[-1].params["grant_type"] == "refresh_token"


def test_a_failed_refresh_is_tried_again_and_a_refused_one_stops_that_workspace_alone(
    api: SlackWebAPI, store: Store, wall: Wall, caplog: pytest.LogCaptureFixture
) -> None:
    installed = install_now(api, store, "TROT2", wall)
    install_now(api, store, "TROT3", wall)
    rotation = duty(api, store)
    wall.now = T0 + LIFE / 2

    api.faults.server_error("oauth.v2.access")
    first = rotate_work(store, "TROT2")
    rotation.do(first, wall.now)
    again = rotate_work(store, "TROT2")  # still asked for, a few seconds on
    assert again.seq > first.seq and rotation.ready_at(again, wall.now) == wall.now + 5.0
    rotation.do(again, wall.now + 5)
    refreshed = token_of(store, "TROT2")
    assert refreshed != installed and works(api, refreshed)

    api.installs.revoke_refresh("TROT3")
    with caplog.at_level(logging.ERROR, logger="progression_bot.runner"):
        rotation.do(rotate_work(store, "TROT3"), wall.now)
    [line] = [r.getMessage() for r in caplog.records if "TROT3" in r.getMessage()]
    assert "refused the refresh token of TROT3 (invalid_refresh_token)" in line
    assert store.departed_at("TROT3") is not None  # its background work stops
    assert store.departed_at("TROT2") is None


def test_a_deployment_installed_through_add_to_slack_keeps_its_short_lived_tokens_fresh(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    # Tokens that live 4 seconds: the runner of `serve --http` refreshes each at 2 s, and the
    # web workers answer with whatever token is current. (A real clock: another process.)
    api.installs.rotate_every = 4.0
    app = start_multi_workspace_app(api, tmp_path)
    try:
        page = install(app, api, "TROT4", "Lincoln ISD")
        assert page.status == 200 and "Lincoln ISD" in page.body
        seen: list[str] = []

        def rotated_twice() -> bool:
            store = Store(app.db)
            try:
                token = token_of(store, "TROT4")
            finally:
                store.close()
            if not seen or seen[-1] != token:
                seen.append(token)
            return len(seen) >= 3

        deadline = time.monotonic() + 30
        while not rotated_twice():
            assert time.monotonic() < deadline, seen
            time.sleep(0.1)  # another process's refresh, bounded above
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            reply = slack.command("phase 3", team_id="TROT4")
        assert reply.status == 200 and "Phase 3" in json.dumps(reply.json())
        assert not [c for c in api.calls() if c.outcome == "token_expired"]
    finally:
        stop_app(app)
