"""The stand-in's "Add to Slack": oauth.v2.access trades a code once, and each installation's
token speaks for its own workspace (or org) only, as Slack's do."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.slack.web_api import SlackWebAPI

CLIENT_ID, CLIENT_SECRET = "1234.5678", "test-client-secret-never-logged"


@pytest.fixture
def client(api: SlackWebAPI) -> WebClient:
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    return WebClient(base_url=api.url)


def _access(client: WebClient, code: str, secret: str = CLIENT_SECRET) -> dict[str, object]:
    answer = client.oauth_v2_access(client_id=CLIENT_ID, client_secret=secret, code=code)
    return dict(answer.data)  # type: ignore[arg-type]


def test_a_code_is_traded_once_for_its_workspace_token(api: SlackWebAPI, client: WebClient) -> None:
    code = api.installs.allow("T1", "Lincoln", scopes="commands,chat:write")
    answer = _access(client, code)
    assert answer["team"] == {"id": "T1", "name": "Lincoln"}
    assert answer["is_enterprise_install"] is False and answer["enterprise"] is None
    assert answer["scope"] == "commands,chat:write" and answer["token_type"] == "bot"
    token = str(answer["access_token"])
    assert client.auth_test(token=token)["team_id"] == "T1"
    with pytest.raises(SlackApiError) as reused:
        _access(client, code)
    assert reused.value.response["error"] == "invalid_code"
    # Neither the secret nor the code is in the workspace's log of calls.
    logged = repr([entry.request for entry in api.workspace.log])
    assert CLIENT_SECRET not in logged and code not in logged


@pytest.mark.parametrize(
    ("secret", "error"), [("wrong", "bad_client_secret"), (CLIENT_SECRET, "invalid_code")]
)
def test_a_wrong_secret_or_unknown_code_is_refused(
    api: SlackWebAPI, client: WebClient, secret: str, error: str
) -> None:
    code = api.installs.allow("T1", "Lincoln") if secret == "wrong" else "code-forged"
    with pytest.raises(SlackApiError) as refused:
        _access(client, code, secret)
    assert refused.value.response["error"] == error


def test_an_org_wide_install_has_no_team(api: SlackWebAPI, client: WebClient) -> None:
    code = api.installs.allow(enterprise_id="E1", enterprise_name="Region", org_teams=("T1", "T2"))
    answer = _access(client, code)
    assert answer["team"] is None and answer["is_enterprise_install"] is True
    assert answer["enterprise"] == {"id": "E1", "name": "Region"}
    me = client.auth_test(token=str(answer["access_token"]))
    assert me["enterprise_id"] == "E1" and me["is_enterprise_install"] is True


def test_a_token_about_another_workspaces_channel_is_refused(
    api: SlackWebAPI, client: WebClient
) -> None:
    tokens = {}
    for team in ("T1", "T2"):
        tokens[team] = str(_access(client, api.installs.allow(team, team))["access_token"])
        api.add_channel(f"C{team}", team_id=team)
    org = str(
        _access(client, api.installs.allow(enterprise_id="E1", org_teams=("T2",)))["access_token"]
    )
    client.chat_postMessage(token=tokens["T1"], channel="CT1", text="hi")
    client.chat_postMessage(token=org, channel="CT2", text="hi")  # T2 is in the org
    for token, channel in ((tokens["T1"], "CT2"), (tokens["T2"], "CT1"), (org, "CT1")):
        with pytest.raises(SlackApiError) as refused:
            client.conversations_info(token=token, channel=channel)
        assert refused.value.response["error"] == "channel_not_found"
    # A channel the open directory never heard of becomes the first asker's workspace's.
    client.chat_postMessage(token=tokens["T1"], channel="CNEW", text="hi")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(token=tokens["T2"], channel="CNEW", text="hi")
    # The one-workspace token of the existing tests still sees every channel.
    client.conversations_info(token="xoxb-any", channel="CT2")
