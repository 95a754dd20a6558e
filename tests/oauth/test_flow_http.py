"""Add to Slack over HTTP: `serve --http` in multi-workspace mode serves /slack/install and
/slack/oauth_redirect; an installation is stored once Slack's oauth.v2.access answers, and
every way it can fail gets a page saying what happened, with nothing stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.slack.installing import BOT_SCOPES
from store import Store
from tests.conftest import RunningApp
from tests.oauth.flow import (
    CLIENT_ID,
    CLIENT_SECRET,
    install,
    redirect,
    start_install,
)
from tests.slack.web_api import SlackWebAPI


@pytest.fixture
def app(deployment: RunningApp, api: SlackWebAPI, deployment_db: str) -> Iterator[RunningApp]:
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    store = Store(deployment_db)
    with store.backend.session() as db:
        db.execute("delete from installations")
        db.execute("delete from oauth_states")
    store.close()
    yield deployment


def _installations(target: str) -> list[tuple[str, str, str]]:
    store = Store(target)
    try:
        with store.backend.session() as db:
            rows = db.rows("select enterprise_id, team_id, bot_token from installations order by 2")
    finally:
        store.close()
    return [(r["enterprise_id"], r["team_id"], r["bot_token"]) for r in rows]


def test_the_install_page_leads_to_slacks_authorize_page(
    app: RunningApp, api: SlackWebAPI, deployment_db: str
) -> None:
    started = start_install(app)
    assert started.authorize_url.startswith(api.url.removesuffix("api/") + "oauth/v2/authorize?")
    assert started.query["client_id"] == [CLIENT_ID]
    assert started.query["scope"] == [",".join(BOT_SCOPES)]
    assert started.state and started.cookie.endswith(started.state)


def test_an_installation_is_stored_and_its_page_says_what_next(
    app: RunningApp, api: SlackWebAPI, deployment_db: str
) -> None:
    page = install(app, api, "T1", "Lincoln Unified")
    assert page.status == 200
    assert "Progression is installed in Lincoln Unified" in page.body
    assert "/progression subscribe" in page.body
    token = next(iter(api.installs.tokens))
    assert _installations(deployment_db) == [("", "T1", token)]


def test_a_workspace_that_had_removed_the_app_is_welcomed_back(
    app: RunningApp, api: SlackWebAPI, deployment_db: str
) -> None:
    store = Store(deployment_db)
    try:
        store.mark_departed("T7", "the app was uninstalled", datetime.now(UTC))
        assert install(app, api, "T7", "Polk").status == 200
        assert store.departed_at("T7") is None  # its kept data is in use again
    finally:
        store.close()


def test_an_org_wide_installation_is_stored_for_the_org(
    app: RunningApp, api: SlackWebAPI, deployment_db: str
) -> None:
    page = install(
        app, api, enterprise_id="E1", enterprise_name="Region Four", org_teams=("T1", "T2")
    )
    assert page.status == 200
    assert "every workspace of the organization <strong>Region Four" in page.body
    assert [(e, t) for e, t, _ in _installations(deployment_db)] == [("E1", "")]


def _expired(db: str) -> tuple[str, str]:
    """A state issued (to this browser) more than 10 minutes ago."""
    store = Store(db)
    now = time.time()
    store.issue_oauth_state("state-from-long-ago", now - 1, now - 601)
    store.close()
    return "state-from-long-ago", "slack-app-oauth-state=state-from-long-ago"


@pytest.mark.parametrize(
    ("case", "status", "says"),
    [
        ("cancelled", 200, "You cancelled on Slack's page"),
        ("forged state", 401, "was not issued by this app"),
        ("expired state", 401, "is more than 10 minutes old"),
        ("reused state", 401, "The link was already used"),
        ("state from another browser", 400, "was not opened in the browser that started"),
        ("reused code", 401, "Slack refused the installation's code"),
        ("oauth.v2.access error", 401, "Slack refused the installation's code"),
    ],
)
def test_an_installation_that_fails_says_what_happened_and_stores_nothing(
    app: RunningApp, api: SlackWebAPI, deployment_db: str, case: str, status: int, says: str
) -> None:
    started = start_install(app)
    code = api.installs.allow("T2", "Washington")
    query = {"code": code, "state": started.state}
    cookie = started.cookie
    if case == "cancelled":
        query = {"error": "access_denied", "state": started.state}
    elif case == "forged state":
        query["state"], cookie = "forged", "slack-app-oauth-state=forged"
    elif case == "expired state":
        query["state"], cookie = _expired(deployment_db)
    elif case == "reused state":
        assert redirect(app, cookie, **query).status == 200
        query["code"] = api.installs.allow("T3", "Jefferson")
    elif case == "state from another browser":
        cookie = ""
    elif case == "reused code":  # traded once in another browser's installation
        first = start_install(app)
        assert redirect(app, first.cookie, code=code, state=first.state).status == 200
    elif case == "oauth.v2.access error":
        api.faults.fail("oauth.v2.access", "invalid_client_id")
    before = _installations(deployment_db)
    page = redirect(app, cookie, **query)
    assert page.status == status, page.body
    assert says in page.body
    assert "Start the installation again" in page.body
    assert _installations(deployment_db) == before
    assert code not in app.output()


def test_pages_keep_secrets_and_codes_out_of_the_log(
    app: RunningApp, api: SlackWebAPI, deployment_db: str
) -> None:
    started = start_install(app)
    page = redirect(app, started.cookie, code="code-never-logged", state=started.state)
    assert page.status == 401
    log = app.output()
    assert "code-never-logged" not in log and CLIENT_SECRET not in log
    assert "oauth.v2.access refused an installation: invalid_code" in log
