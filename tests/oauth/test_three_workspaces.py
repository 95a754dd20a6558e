"""One deployment, three workspaces installed through Add to Slack over HTTP: commands, events
and buttons from each run with that workspace's token, and each sees only its own data."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from bot.slack.installing import NOT_INSTALLED_MESSAGE
from store import Store
from tests.bot.answers import final_answer, is_interim
from tests.bot.test_manage_http import _texts
from tests.conftest import SIGNING_SECRET, RunningApp, run_cli
from tests.oauth.flow import CLIENT_ID, CLIENT_SECRET, install, multi_workspace_env
from tests.slack.signing import SlackSender, app_home_opened_event, sign, slash_command_body
from tests.slack.web_api import SlackWebAPI

TEAMS = {"TA": "Lincoln", "TB": "Washington", "TC": "Jefferson"}
HOME = {"id": "V0001", "type": "home"}
WEEK, NOW = "2026-W48", datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _token(api: SlackWebAPI, team: str) -> str:
    return next(t for t, grant in api.installs.tokens.items() if grant.team_id == team)


def _workspace(api: SlackWebAPI, team: str) -> tuple[str, str, str]:
    """The workspace's role channel, its admin and a teacher, in the stand-in."""
    channel, admin, teacher = f"C{team}", f"UADM{team}", f"UTCH{team}"
    api.add_channel(channel, name=f"{team.lower()}-teachers", team_id=team)
    api.add_user(admin, is_admin=True)
    api.add_user(teacher)
    api.add_member(channel, admin, teacher)
    return channel, admin, teacher


def _ask(
    slack: SlackSender, api: SlackWebAPI, text: str, team: str, user: str, channel: str
) -> str:
    body = final_answer(slack, api, text, team_id=team, user_id=user, channel_id=channel)
    return _texts(body.get("blocks", [])) + str(body.get("text", ""))


def _tokens_of(api: SlackWebAPI, method: str) -> set[str | None]:
    return {call.token for call in api.calls(method)}


def test_each_workspace_works_with_its_own_token_and_sees_only_its_own_data(
    deployment: RunningApp, deployment_db: str, api: SlackWebAPI
) -> None:
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    for team, name in TEAMS.items():
        page = install(deployment, api, team, name)
        assert page.status == 200 and f"installed in {name}" in page.body
    people = {team: _workspace(api, team) for team in TEAMS}
    with SlackSender(deployment.url + "/slack/events", SIGNING_SECRET) as slack:
        for team, (channel, admin, _teacher) in people.items():
            api.clear()
            said = _ask(slack, api, "subscribe teacher", team, admin, channel)
            assert "now gets one *Teacher* move a week" in said, said
            # The admin was asked about with this workspace's token, and only with it.
            assert _tokens_of(api, "users.info") == {_token(api, team)}
        for team, (channel, admin, _teacher) in people.items():
            listed = _ask(slack, api, "subscriptions", team, admin, channel)
            others = [c for t, (c, _, _) in people.items() if t != team]
            assert channel in listed and not any(other in listed for other in others), listed
        store = Store(deployment_db)
        try:
            for team, (channel, _admin, _teacher) in people.items():
                assert [s.channel_id for s in store.subscriptions(team)] == [channel]
                # What the fan-out leaves: this week's nudge, confirmed.
                assert store.claim_delivery(
                    team, channel, WEEK, role="teacher", ref="1.7", round=1, owner="t", now=NOW
                )
                store.confirm_delivery(team, channel, WEEK, f"1700000000.0000{len(team)}", NOW)
        finally:
            store.close()
        for team, (channel, _admin, teacher) in people.items():
            api.clear()
            assert slack.event(app_home_opened_event(teacher), team_id=team).status == 200
            [published] = api.wait_for("views.publish", timeout=10)
            assert published.token == _token(api, team)
            assert _tokens_of(api, "users.conversations") == {_token(api, team)}
            home = str(published.params["view"])
            assert channel in home, home
            assert not any(c in home for t, (c, _, _) in people.items() if t != team)
            api.clear()
            press = slack.action(
                "home_mark_done",
                f"{channel}|1700000000.0000{len(team)}",
                user_id=teacher,
                team_id=team,
                view=HOME,
            )
            assert press.status == 200
            [published] = api.wait_for("views.publish", timeout=10)
            assert published.token == _token(api, team)
        # A button carrying another workspace's channel checks nothing off anywhere.
        ta_teacher = people["TA"][2]
        tb_channel = people["TB"][0]
        forged = slack.action(
            "home_mark_done",
            f"{tb_channel}|1700000000.00002",
            user_id=ta_teacher,
            team_id="TA",
            view=HOME,
        )
        assert forged.status == 200
        # `preview` of another workspace's channel: no role channel of this workspace's.
        own = _ask(slack, api, "preview", "TA", people["TA"][1], people["TA"][0])
        assert "Preview: this is what this channel gets" in own and "*1.8*" in own, own
        other = _ask(slack, api, "preview", "TA", people["TA"][1], tb_channel)
        assert "is not a role channel" in other and "Preview:" not in other, other
    # `export --team`: that workspace's check-offs alone.
    for team, (channel, _admin, teacher) in people.items():
        exported = run_cli("export", "--team", team, env=multi_workspace_env(api, deployment_db))
        assert exported.returncode == 0, exported.stderr
        rows = list(csv.DictReader(io.StringIO(exported.stdout)))
        assert [(r["team"], r["channel"], r["user"]) for r in rows] == [(team, channel, teacher)]
    store = Store(deployment_db)
    try:
        for team, (channel, _admin, teacher) in people.items():
            assert store.checked_by(team, channel, "1.7") == [teacher]
        assert store.checked_by("TA", tb_channel, "1.7") == []
        assert store.checked_by("TB", tb_channel, "1.7") == [people["TB"][2]]
    finally:
        store.close()
    assert not any(_token(api, team) in deployment.output() for team in TEAMS)  # no token logged


def test_a_workspace_that_never_installed_the_app_gets_nothing(
    deployment: RunningApp, deployment_db: str, api: SlackWebAPI
) -> None:
    with SlackSender(deployment.url + "/slack/events", SIGNING_SECRET) as slack:
        reply = slack.command(
            "subscribe teacher",
            team_id="TZ",
            user_id="UZ",
            channel_id="CZ",
            response_url=api.response_url("tz"),
        )
    assert reply.status == 200
    [told] = api.wait_for_response_url("tz")
    assert told.params["text"] == NOT_INSTALLED_MESSAGE
    store = Store(deployment_db)
    try:
        assert store.subscriptions("TZ") == []
    finally:
        store.close()
    assert api.calls("chat.postMessage") == []


def test_an_org_wide_install_answers_for_every_workspace_of_the_org(
    deployment: RunningApp, deployment_db: str, api: SlackWebAPI
) -> None:
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    page = install(
        deployment, api, enterprise_id="E1", enterprise_name="Region", org_teams=("TD", "TE")
    )
    assert page.status == 200
    [token] = [t for t, grant in api.installs.tokens.items() if grant.enterprise_id == "E1"]
    with SlackSender(deployment.url + "/slack/events", SIGNING_SECRET) as slack:
        for team in ("TD", "TE"):
            channel, admin, _teacher = _workspace(api, team)
            api.clear()
            fields = slash_command_body(
                "subscribe teacher",
                team_id=team,
                user_id=admin,
                channel_id=channel,
                response_url=api.response_url(team),
            )
            # As Slack sends a command from a workspace of an org the app is installed in.
            fields.update(enterprise_id="E1", is_enterprise_install="true")
            body = urlencode(fields).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            headers.update(sign(SIGNING_SECRET, body, int(time.time())))
            reply = slack.raw(body, headers)
            assert reply.status == 200
            said = reply.text if not is_interim(reply.json()) else ""
            said = said or str(api.wait_for_response_url(team)[0].params)
            assert "now gets one *Teacher* move a week" in said, said
            assert _tokens_of(api, "users.info") == {token}
    store = Store(deployment_db)
    try:
        assert [s.channel_id for s in store.subscriptions("TD")] == ["CTD"]
        # The org's workspaces, as their requests named them: the runner's work finds the
        # org's token for each.
        assert {"TD", "TE"} <= set(store.installed_teams())
        row = store.workspace_installation_row("TE")
        assert row is not None and row["bot_token"] == token
    finally:
        store.close()


def test_web_workers_never_refresh_a_token_themselves(
    deployment: RunningApp, deployment_db: str, api: SlackWebAPI
) -> None:
    """A token near its expiry with a refresh token beside it: Bolt's authorize would refresh it
    in the worker (refresh tokens are single-use); here only the runner may."""
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    assert install(deployment, api, "TF", "Franklin").status == 200
    token = _token(api, "TF")
    store = Store(deployment_db)
    try:
        row = store.installation_row("", "TF")
        assert row is not None
        row.update(bot_refresh_token="xoxe-1-refresh", bot_token_expires_at=time.time() + 30)
        store.save_installation_row(row)
    finally:
        store.close()
    channel, admin, _teacher = _workspace(api, "TF")
    api.clear()
    with SlackSender(deployment.url + "/slack/events", SIGNING_SECRET) as slack:
        said = _ask(slack, api, "subscribe teacher", "TF", admin, channel)
    assert "now gets one *Teacher* move a week" in said, said
    assert api.calls("oauth.v2.access") == []
    assert _tokens_of(api, "users.info") == {token}


def test_a_workspace_that_removes_the_app_is_marked_departed(
    deployment: RunningApp, deployment_db: str, api: SlackWebAPI
) -> None:
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    assert install(deployment, api, "TG", "Grant").status == 200
    assert install(deployment, api, "TH", "Hayes").status == 200
    with SlackSender(deployment.url + "/slack/events", SIGNING_SECRET) as slack:
        # Its token is dead by now: Bolt asks nothing with it for this event.
        assert slack.event({"type": "app_uninstalled"}, team_id="TG").status == 200
    store = Store(deployment_db)
    try:
        assert store.departed_at("TG") is not None
        assert store.departed_at("TA") is None
        # Its installation goes at once (its data stays for the retention days).
        assert store.workspace_installation_row("TG") is None
        assert store.workspace_installation_row("TH") is not None
    finally:
        store.close()
