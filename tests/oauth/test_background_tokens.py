"""Background work in multi-workspace mode: the fan-out, live counts and bot-user look-ups of
each workspace run with the token of its installation, read from the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot

from bot.background.bot_users import UserLookups
from bot.background.live_counts import LiveCounts
from bot.settings import Settings, load_settings
from bot.slack.client import workspace_clients
from bot.views import NUDGE_MESSAGES
from progression.model import Progression
from scheduler.fanout import FanoutContext, run_fanout
from scheduler.jobs import build_scheduler, run_nudge_job, stop_scheduler
from store import Store
from store.installations import StoredInstallations, WorkspaceNotInstalled
from tests.conftest import run_cli
from tests.oauth.flow import CLIENT_ID, CLIENT_SECRET, multi_workspace_env
from tests.scheduler import FAST, subscribe
from tests.slack.web_api import SlackWebAPI

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = "2026-W10"


def _install(api: SlackWebAPI, store: Store, team: str = "", **grant: object) -> str:
    """A workspace (or, with `enterprise_id` alone, an org) installed: its token."""
    code = api.installs.allow(team, team, **grant)  # type: ignore[arg-type]
    answer = WebClient(base_url=api.url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
    )
    enterprise = answer.get("enterprise") or {}
    StoredInstallations(store).save_bot(
        _bot(answer.data, team, enterprise.get("id"))  # type: ignore[arg-type]
    )
    return str(answer["access_token"])


def _bot(answer: dict[str, object], team: str, enterprise: str | None) -> Bot:
    return Bot(
        enterprise_id=enterprise,
        team_id=team or None,
        bot_token=str(answer["access_token"]),
        bot_id="B",
        bot_user_id=str(answer["bot_user_id"]),
        is_enterprise_install=bool(answer["is_enterprise_install"]),
        installed_at=NOW.timestamp(),
    )


@pytest.fixture
def settings(api: SlackWebAPI) -> Settings:
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    return load_settings(
        SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET, SLACK_API_URL=api.url
    )


def test_each_workspaces_fanout_posts_with_its_own_token(
    api: SlackWebAPI, store: Store, progression: Progression, settings: Settings
) -> None:
    tokens = {team: _install(api, store, team) for team in ("TA", "TB")}
    # TC is a workspace of an org installed org-wide: its token is the org's.
    tokens["TC"] = _install(api, store, enterprise_id="E1", org_teams=("TC",))
    store.remember_enterprise_team("E1", "TC")
    for team in tokens:
        api.add_channel(f"C{team}", team_id=team)
        subscribe(store, f"C{team}", team=team)
    context = FanoutContext(
        store,
        progression,
        WebClient(base_url=api.url),  # no token: each workspace's comes from the store
        NUDGE_MESSAGES,
        limits=FAST,
        client_for=workspace_clients(settings, store),
    )
    for team in tokens:
        report = run_fanout(context, team, WEEK, NOW)
        assert [r.outcome for r in report.results] == ["posted"], team
    posted = {c.params["channel"]: c.token for c in api.calls("chat.postMessage")}
    assert posted == {f"C{team}": token for team, token in tokens.items()}


def test_live_counts_and_bot_user_lookups_use_the_workspaces_token(
    api: SlackWebAPI, store: Store, progression: Progression, settings: Settings
) -> None:
    token = _install(api, store, "TA")
    client_for = workspace_clients(settings, store)
    subscribe(store, "CTA", team="TA")
    api.add_channel("CTA", team_id="TA")
    assert store.claim_delivery(
        "TA", "CTA", WEEK, role="teacher", ref="1.7", round=1, owner="t", now=NOW
    )
    store.confirm_delivery("TA", "CTA", WEEK, "1700000000.000001", NOW)
    unset = WebClient(base_url=api.url)
    LiveCounts(store, progression, unset, client_for=client_for).update(
        "TA", "CTA", "1700000000.000001"
    )
    lookups = UserLookups(store, unset, lambda: NOW, client_for=client_for)
    assert lookups._ask("TA", "UANY") is False  # user_not_found: not a bot
    assert [c.token for c in api.calls("chat.update")] == [token]
    assert [c.token for c in api.calls("users.info")] == [token]


def test_a_workspace_without_an_installation_has_no_client(
    store: Store, settings: Settings
) -> None:
    with pytest.raises(WorkspaceNotInstalled, match="no installation for workspace TX"):
        workspace_clients(settings, store)("TX")


def test_nudge_from_cron_posts_with_each_workspaces_token(
    api: SlackWebAPI, tmp_path: Path, settings: Settings
) -> None:
    db = tmp_path / "progression.db"
    store = Store(db)
    try:
        token = _install(api, store, "TA")
        for team in ("TA", "TB"):  # TB subscribed, then the app was never installed there
            api.add_channel(f"C{team}", team_id=team)
            subscribe(store, f"C{team}", team=team)
    finally:
        store.close()
    result = run_cli("nudge", "--week", WEEK, env=multi_workspace_env(api, db))
    assert result.returncode == 1, result.stderr
    assert "TB 2026-W10: the app is not installed there (Add to Slack), nothing posted" in (
        result.stdout
    )
    assert [(c.params["channel"], c.token) for c in api.calls("chat.postMessage")] == [
        ("CTA", token)
    ]
    assert token not in result.stdout + result.stderr


def test_a_scheduled_week_of_a_workspace_without_installation_is_one_line(
    api: SlackWebAPI,
    store: Store,
    progression: Progression,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscribe(store, "CTX", team="TX")
    fanout = FanoutContext(
        store,
        progression,
        WebClient(base_url=api.url),
        NUDGE_MESSAGES,
        limits=FAST,
        clock=lambda: NOW,
        client_for=workspace_clients(settings, store),
    )
    scheduler = build_scheduler(fanout)
    try:
        run_nudge_job(scheduler.nudges, "TX", NOW)
    finally:
        stop_scheduler(scheduler, 1.0)
    [line] = [r for r in caplog.records if "TX" in r.getMessage() and r.levelname == "WARNING"]
    assert line.getMessage().endswith("not run: no installation for workspace TX")
    assert line.exc_info is None
    assert api.calls("chat.postMessage") == []
