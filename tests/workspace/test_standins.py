"""The Slack stand-ins do what they claim, seen through the real slack_sdk and Bolt clients."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient
from websockets.sync.client import connect

from tests.slack.signing import (
    SlackSender,
    app_home_opened_event,
    block_actions_body,
    event_callback,
    reaction_event,
    sign,
    slash_command_body,
)
from tests.slack.socket_mode import SocketModeServer
from tests.slack.web_api import BOT_ID, SlackWebAPI

BOT = "xoxb-standin-bot"
APP_TOKEN = "xapp-standin-app"
SECRET = "standin-signing-secret"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Phase 3*"}}


def client_for(api: SlackWebAPI, token: str | None = BOT, **options: Any) -> WebClient:
    options.setdefault("retry_handlers", [])
    return WebClient(token=token, base_url=api.url, timeout=5, **options)


def raw_post(
    api: SlackWebAPI, method: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    try:
        connection.request("POST", f"/api/{method}", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), json.loads(answer.read())
    finally:
        connection.close()


def header(headers: dict[str, Any], name: str) -> str:
    """slack_sdk keeps the server's spelling of header names."""
    [value] = {str(v) for k, v in headers.items() if k.lower() == name.lower()}
    return value


def _without_block_id(block: dict[str, Any]) -> dict[str, Any]:
    """Slack gives every block an id when the app gave none."""
    return {k: v for k, v in block.items() if k != "block_id"}


def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


# --- the Web API ------------------------------------------------------------------------


def test_auth_test_answers_like_slack_with_json_content_type(api: SlackWebAPI) -> None:
    answer = client_for(api).auth_test()
    assert answer.status_code == 200
    assert header(answer.headers, "content-type") == "application/json; charset=utf-8"
    assert {k: answer[k] for k in ("ok", "team_id", "user_id", "bot_id", "team")} == {
        "ok": True,
        "team_id": "T0001",
        "user_id": "U0BOT",
        "bot_id": "B0BOT",
        "team": "Test District",
    }
    assert str(answer["url"]).startswith("https://")
    [call] = api.calls("auth.test")
    assert call.token == BOT and call.outcome == "ok"


@pytest.mark.parametrize(
    ("token", "error"),
    [
        (None, "not_authed"),
        ("", "not_authed"),
        ("xoxp-user", "invalid_auth"),
        ("bad", "invalid_auth"),
    ],
)
def test_a_missing_or_foreign_token_is_refused(
    api: SlackWebAPI, token: str | None, error: str
) -> None:
    assert slack_error(client_for(api, token).auth_test).response["error"] == error
    assert api.calls("auth.test")[0].outcome == error


def test_an_app_level_token_is_only_for_socket_mode(api: SlackWebAPI) -> None:
    api.socket_url = "ws://127.0.0.1:9/link/"
    apps = client_for(api, APP_TOKEN)
    assert apps.apps_connections_open(app_token=APP_TOKEN)["url"] == "ws://127.0.0.1:9/link/"
    refused = slack_error(lambda: client_for(api).apps_connections_open(app_token=BOT))
    assert refused.response["error"] == "not_allowed_token_type"
    bot_only = slack_error(lambda: apps.chat_postMessage(channel="C1", text="hi"))
    assert bot_only.response["error"] == "not_allowed_token_type"


def test_a_configured_token_set_refuses_every_other_token() -> None:
    with SlackWebAPI(tokens={BOT}) as api:
        assert client_for(api).auth_test()["ok"] is True
        other = slack_error(client_for(api, "xoxb-someone-else").auth_test)
        assert other.response["error"] == "invalid_auth"


def test_the_token_may_come_as_a_form_field(api: SlackWebAPI) -> None:
    body = urllib.parse.urlencode({"token": BOT, "channel": "C1", "text": "hi"}).encode()
    status, _, answer = raw_post(
        api, "chat.postMessage", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (status, answer["ok"]) == (200, True)
    [call] = api.calls("chat.postMessage")
    assert call.token == BOT and "token" not in call.params


def test_post_message_echoes_the_message_with_unique_increasing_ts(api: SlackWebAPI) -> None:
    client = client_for(api)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda n: client.chat_postMessage(channel="C1", text=f"m{n}"), range(80))
        )
    stamps = [str(a["ts"]) for a in answers]
    assert len(set(stamps)) == 80
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert sorted(stamps, key=float) == sorted(stamps)
    first = client.chat_postMessage(channel="C2", text="hello", blocks=[SECTION])
    assert float(first["ts"]) > max(float(ts) for ts in stamps)
    assert first["channel"] == "C2"
    assert first["message"]["text"] == "hello"
    assert [_without_block_id(b) for b in first["message"]["blocks"]] == [SECTION]
    assert first["message"]["bot_id"] == BOT_ID


@pytest.mark.parametrize("encoding", ["form", "json"])
def test_json_fields_sent_as_strings_are_decoded(api: SlackWebAPI, encoding: str) -> None:
    fields = {"channel": "C1", "text": "t", "blocks": json.dumps([SECTION])}
    client = client_for(api)
    if encoding == "form":
        client.api_call("chat.postMessage", data=fields)
    else:
        client.api_call("chat.postMessage", json=fields)
    assert api.calls("chat.postMessage")[0].params["blocks"] == [SECTION]


def test_get_calls_carry_their_query_params(api: SlackWebAPI) -> None:
    api.add_user("U1", is_admin=True, name="ana", tz="America/Denver")
    answer = client_for(api).api_call("users.info", http_verb="GET", params={"user": "U1"})
    assert answer["user"]["is_admin"] is True and answer["user"]["tz"] == "America/Denver"
    assert api.calls("users.info")[0].params == {"user": "U1"}


def test_users_info_reads_the_directory(api: SlackWebAPI) -> None:
    api.add_user("U2", is_owner=True, is_bot=False, name="bo")
    user = client_for(api).users_info(user="U2")["user"]
    assert (user["id"], user["name"], user["is_owner"], user["is_admin"]) == (
        "U2",
        "bo",
        True,
        False,
    )
    missing = slack_error(lambda: client_for(api).users_info(user="U404"))
    assert missing.response["error"] == "user_not_found"


def test_conversations_info_defaults_to_a_public_channel_and_reads_the_directory(
    api: SlackWebAPI,
) -> None:
    client = client_for(api)
    public = client.conversations_info(channel="C7")["channel"]
    assert (public["id"], public["is_private"], public["is_member"]) == ("C7", False, True)
    assert public["is_archived"] is False
    api.add_channel("G1", name="leaders", is_private=True, is_member=True, is_archived=True)
    private = client.conversations_info(channel="G1")["channel"]
    assert (private["name"], private["is_private"], private["is_archived"]) == (
        "leaders",
        True,
        True,
    )
    api.add_channel("G2", is_private=True, is_member=False)
    hidden = slack_error(lambda: client.conversations_info(channel="G2"))
    assert hidden.response["error"] == "channel_not_found"


def test_users_conversations_lists_a_users_channels_the_bot_may_see_page_by_page(
    api: SlackWebAPI,
) -> None:
    client = client_for(api)
    api.add_channel("G1", is_private=True, is_member=True)
    api.add_channel("G2", is_private=True, is_member=False)  # the bot is not in it
    api.add_channel("CARCH", is_archived=True)
    for channel in ("C1", "C2", "C3", "G1", "G2", "CARCH"):
        api.add_member(channel, "U1")
    api.add_member("C9", "U2")
    api.remove_member("C3", "U1")

    def listed(**options: Any) -> list[str]:
        found, cursor = [], ""
        for _ in range(10):
            answer = client.users_conversations(user="U1", limit=2, cursor=cursor, **options)
            found += [c["id"] for c in answer["channels"]]
            cursor = answer["response_metadata"]["next_cursor"]
            if not cursor:
                return found
        raise AssertionError("pages never ended")

    assert listed(types="public_channel,private_channel") == ["C1", "C2", "CARCH", "G1"]
    assert listed(types="public_channel", exclude_archived=True) == ["C1", "C2"]
    assert listed(types="private_channel") == ["G1"]


@pytest.mark.parametrize(
    ("channel", "options", "error"),
    [
        ("CARCH", {"is_archived": True}, "is_archived"),
        ("GOUT", {"is_private": True, "is_member": False}, "channel_not_found"),
    ],
)
def test_posts_to_unreachable_channels_are_refused(
    api: SlackWebAPI, channel: str, options: dict[str, bool], error: str
) -> None:
    api.add_channel(
        channel,
        is_private=options.get("is_private", False),
        is_member=options.get("is_member", True),
        is_archived=options.get("is_archived", False),
    )
    refused = slack_error(lambda: client_for(api).chat_postMessage(channel=channel, text="x"))
    assert refused.response["error"] == error


def test_the_other_methods_answer_in_slacks_shapes(api: SlackWebAPI) -> None:
    client = client_for(api)
    assert str(client.conversations_open(users="U5")["channel"]["id"]).startswith("D")
    ephemeral = client.chat_postEphemeral(channel="C1", user="U5", text="only you")
    assert str(ephemeral["message_ts"]).startswith("17")
    posted = client.chat_postMessage(channel="C1", text="v1")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert (updated["channel"], updated["ts"], updated["text"]) == ("C1", posted["ts"], "v2")
    deleted = client.chat_delete(channel="C1", ts=posted["ts"])
    assert deleted["ts"] == posted["ts"]
    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")
    assert str(link["permalink"]).endswith("/archives/C1/p1700000000000100")
    view = {"type": "home", "blocks": [SECTION]}
    published = client.views_publish(user_id="U5", view=view)["view"]
    assert str(published["id"]).startswith("V")
    assert [_without_block_id(b) for b in published["blocks"]] == [SECTION]
    assert api.calls("views.publish")[0].params["view"] == view


def test_an_unknown_method_is_unknown(api: SlackWebAPI) -> None:
    answer = slack_error(lambda: client_for(api).api_call("chat.teleport"))
    assert (answer.response.status_code, answer.response["error"]) == (200, "unknown_method")


def test_fail_is_per_method_and_channel_and_consumed_in_order(api: SlackWebAPI) -> None:
    api.faults.fail("chat.postMessage", "channel_not_found", channel="C1")
    api.faults.fail("chat.postMessage", "not_in_channel", times=2)
    client = client_for(api)
    errors = []
    for channel in ("C2", "C1", "C1", "C1"):
        try:
            client.chat_postMessage(channel=channel, text="x")
            errors.append("ok")
        except SlackApiError as error:
            errors.append(str(error.response["error"]))
    assert errors == ["not_in_channel", "channel_not_found", "not_in_channel", "ok"]
    assert [c.outcome for c in api.calls("chat.postMessage")] == errors
    assert client.auth_test()["ok"] is True  # other methods untouched


def test_rate_limit_answers_429_with_retry_after(api: SlackWebAPI) -> None:
    api.faults.rate_limit("chat.postMessage", retry_after=7, channel="C1")
    client = client_for(api)
    assert client.chat_postMessage(channel="C2", text="x")["ok"] is True
    limited = slack_error(lambda: client.chat_postMessage(channel="C1", text="x")).response
    assert (limited.status_code, limited["error"]) == (429, "ratelimited")
    assert header(limited.headers, "Retry-After") == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True


def test_slack_sdks_rate_limit_handler_retries_after_a_429(api: SlackWebAPI) -> None:
    api.faults.rate_limit("chat.postMessage", retry_after=0)
    client = client_for(api, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c.outcome for c in api.calls("chat.postMessage")] == ["ratelimited", "ok"]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_answer_their_status(api: SlackWebAPI, status: int) -> None:
    api.faults.server_error("chat.postMessage", status=status)
    failed = slack_error(lambda: client_for(api).chat_postMessage(channel="C1", text="x"))
    assert failed.response.status_code == status
    assert client_for(api).chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c.outcome for c in api.calls("chat.postMessage")] == [f"http_{status}", "ok"]


def test_slack_sdks_server_error_handler_retries_a_5xx(api: SlackWebAPI) -> None:
    api.faults.server_error("chat.postMessage", status=503)
    retrying = client_for(api, retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)])
    assert retrying.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c.outcome for c in api.calls("chat.postMessage")] == ["http_503", "ok"]


def test_a_dropped_connection_is_a_connection_error_slack_sdk_retries(api: SlackWebAPI) -> None:
    api.faults.drop_connection("chat.postMessage")
    with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
        client_for(api).chat_postMessage(channel="C1", text="x")
    api.faults.drop_connection("chat.postMessage")
    retrying = client_for(api, retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)])
    assert retrying.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c.outcome for c in api.calls("chat.postMessage")] == ["dropped", "dropped", "ok"]


def test_delay_holds_the_answer_not_the_arrival(api: SlackWebAPI) -> None:
    api.faults.delay("chat.postMessage", 0.3, channel="C1")
    client = client_for(api)
    answered = threading.Event()

    def post() -> None:
        client.chat_postMessage(channel="C1", text="slow")
        answered.set()

    started = time.monotonic()
    worker = threading.Thread(target=post)
    worker.start()
    api.wait_for("chat.postMessage", timeout=2)  # recorded on arrival ...
    assert not answered.is_set()  # ... answered later
    worker.join(timeout=5)
    assert time.monotonic() - started >= 0.3
    # The delay is the channel's alone, and 0 takes it away.
    assert api.faults.delay_for("chat.postMessage", "C2") == 0
    api.faults.delay("chat.postMessage", 0, channel="C1")
    assert api.faults.delay_for("chat.postMessage", "C1") == 0


def test_wait_for_wakes_on_the_call_and_times_out_without_it(api: SlackWebAPI) -> None:
    client = client_for(api)
    threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="x")).start()
    [call] = api.wait_for("chat.postMessage", timeout=5)
    assert call.params["text"] == "x"
    with pytest.raises(AssertionError, match=r"1 chat\.postMessage calls, wanted 2"):
        api.wait_for("chat.postMessage", count=2, timeout=0.05)
    api.clear()
    assert api.calls() == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked() -> Iterator[tuple[SlackWebAPI, FakeClock]]:
    clock = FakeClock()
    with SlackWebAPI(clock=clock) as api:
        yield api, clock


def post_status(client: WebClient, channel: str) -> int:
    try:
        return client.chat_postMessage(channel=channel, text="x").status_code
    except SlackApiError as error:
        return error.response.status_code


def test_enforced_limits_pace_each_channel_and_count_early_comers(
    clocked: tuple[SlackWebAPI, FakeClock],
) -> None:
    api, clock = clocked
    api.faults.enforce_limits(per_channel_per_second=1.0, per_workspace_per_second=100)
    client = client_for(api)
    assert [post_status(client, c) for c in ("C1", "C1", "C2")] == [200, 429, 200]
    assert api.calls("chat.postMessage")[1].outcome == "ratelimited"
    assert api.faults.limit_violations == 0
    clock.now += 0.5
    assert post_status(client, "C1") == 429  # came back before Retry-After said
    assert api.faults.limit_violations == 1
    clock.now += 0.6
    assert post_status(client, "C1") == 200
    assert post_status(client, "C3") == 200  # other channels never had to wait
    assert api.faults.limit_violations == 1


def test_enforced_limits_cap_the_workspace(clocked: tuple[SlackWebAPI, FakeClock]) -> None:
    api, clock = clocked
    api.faults.enforce_limits(per_channel_per_second=1.0, per_workspace_per_second=3)
    client = client_for(api)
    assert [post_status(client, f"C{n}") for n in range(5)] == [200, 200, 200, 429, 429]
    assert api.faults.limit_violations == 1  # the fifth came while the workspace had to wait
    clock.now += 1.0
    assert post_status(client, "C9") == 200


def test_a_429_can_ask_the_whole_workspace_to_wait_but_for_posts_in_flight(
    clocked: tuple[SlackWebAPI, FakeClock],
) -> None:
    api, clock = clocked
    client = client_for(api)
    api.faults.rate_limit("chat.postMessage", retry_after=1, times=1, channel="C1")
    assert post_status(client, "C1") == 429
    assert post_status(client, "C2") == 200  # only C1 was told to wait
    assert api.faults.limit_violations == 0

    api.faults.workspace_waits(in_flight=0.1)
    api.faults.rate_limit("chat.postMessage", retry_after=1, times=1, channel="C3")
    assert post_status(client, "C3") == 429
    clock.now += 0.05
    assert post_status(client, "C4") == 200  # already on its way
    assert api.faults.limit_violations == 0
    clock.now += 0.1
    assert post_status(client, "C5") == 200  # sent while the workspace had to wait
    assert api.faults.limit_violations == 1
    clock.now += 0.9
    assert post_status(client, "C6") == 200
    assert api.faults.limit_violations == 1


def test_random_faults_follow_their_seed_and_rates(api: SlackWebAPI) -> None:
    def outcomes(seed: int) -> list[int]:
        api.reset()
        api.faults.inject_random("chat.postMessage", rate_429=0.2, rate_500=0.1, seed=seed)
        client = client_for(api)
        return [post_status(client, f"C{n}") for n in range(200)]

    first, again, other = outcomes(7), outcomes(7), outcomes(8)
    assert first == again and first != other
    assert 20 <= first.count(429) <= 60 and 5 <= first.count(500) <= 40
    assert set(first) == {200, 429, 500}


def test_response_urls_are_received_and_recorded(api: SlackWebAPI) -> None:
    url = api.response_url("r1")
    answer = WebhookClient(url).send(text="shared", response_type="in_channel")
    assert answer.status_code == 200
    [call] = api.calls("response_url")
    assert call.params == {"text": "shared", "response_type": "in_channel"}


def test_a_response_url_can_answer_as_an_expired_one(api: SlackWebAPI) -> None:
    api.faults.answer_response_url("old", 404, "expired_url")
    answer = WebhookClient(api.response_url("old")).send(text="late")
    assert (answer.status_code, answer.body) == (404, "expired_url")
    assert WebhookClient(api.response_url("old")).send(text="again").status_code == 200
    assert [c.outcome for c in api.calls("response_url")] == ["http_404", "ok"]


def test_held_answers_wait_for_release_and_calls_are_seen_on_arrival(api: SlackWebAPI) -> None:
    api.faults.hold()
    answers: list[int] = []

    def call_both() -> None:
        answers.append(client_for(api).auth_test().status_code)
        answers.append(WebhookClient(api.response_url("held")).send(text="x").status_code)

    caller = threading.Thread(target=call_both)
    caller.start()
    api.wait_for("auth.test")
    caller.join(timeout=0.2)  # a bounded look: still waiting for its answer
    assert caller.is_alive() and answers == []
    api.faults.release()
    caller.join(timeout=5)
    assert answers == [200, 200] and not api.faults.holding


def test_keep_alive_carries_a_thousand_calls_on_one_connection(api: SlackWebAPI) -> None:
    body = json.dumps({"channel": "C1", "text": "x"}).encode()
    headers = {"Authorization": f"Bearer {BOT}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    sockets: list[object] = []  # kept, so that no id is reused for another
    try:
        for _ in range(1000):
            connection.request("POST", "/api/chat.postMessage", body=body, headers=headers)
            answer = connection.getresponse()
            assert answer.status == 200
            answer.read()
            if not sockets or connection.sock is not sockets[-1]:
                sockets.append(connection.sock)
    finally:
        connection.close()
    # One connection for them all: a stand-in that closed it after each answer would make the
    # client connect again (and a fan-out of thousands pay a handshake per post).
    assert len(sockets) == 1
    assert len(api.calls("chat.postMessage")) == 1000


def test_a_stopped_stand_in_refuses_connections() -> None:
    api = SlackWebAPI().start()
    idle = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    idle.request("POST", "/api/auth.test", body=b"", headers={"Authorization": f"Bearer {BOT}"})
    assert json.loads(idle.getresponse().read())["ok"] is True
    api.stop()
    idle.close()
    with pytest.raises(urllib.error.URLError):
        client_for(api).auth_test()


# --- Socket Mode ------------------------------------------------------------------------


@dataclass
class Link:
    """The real slack_sdk Socket Mode client connected to the stand-in, for this module."""

    api: SlackWebAPI
    server: SocketModeServer
    client: SocketModeClient
    requests: list[SocketModeRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def request(self, envelope_id: str) -> SocketModeRequest:
        with self.arrived:
            [found] = [r for r in self.requests if r.envelope_id == envelope_id]
            return found


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    with SlackWebAPI() as api, SocketModeServer() as server:
        api.socket_url = server.url
        client = SocketModeClient(app_token=APP_TOKEN, web_client=client_for(api))
        link = Link(api, server, client)

        def on_request(client: Any, request: SocketModeRequest) -> None:
            with link.arrived:
                link.requests.append(request)
            payload = {"text": "ack text"} if request.type == "slash_commands" else None
            client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload))

        def on_message(client: Any, message: dict[str, Any], raw: str | None) -> None:
            with link.arrived:
                link.messages.append(message)
                link.arrived.notify_all()

        client.socket_mode_request_listeners.append(on_request)
        client.message_listeners.append(on_message)
        try:
            client.connect()
            server.wait_connected(timeout=5)
            yield link
        finally:
            # The client hangs up first, as an app does: closing it after the server hung up
            # races with its own receive thread. Its close() waits out a receive (up to 3 s).
            client.close()


def test_the_sdk_client_connects_over_plain_ws_and_gets_hello(link: Link) -> None:
    opened = link.api.calls("apps.connections.open")[0]
    assert opened.token == APP_TOKEN
    with link.arrived:
        assert link.arrived.wait_for(lambda: link.messages, timeout=5)
        hello = link.messages[0]
    assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": "A0APP"}
    assert link.server.paths[0] == "/link/?ticket=local-ticket&app_id=A0APP"


def test_the_sdk_client_answers_the_servers_pings(link: Link) -> None:
    assert 0 <= link.server.ping(timeout=5) < 5


@pytest.mark.parametrize(
    ("kind", "payload", "ack_payload"),
    [
        ("events_api", event_callback(app_home_opened_event("U1")), None),
        ("slash_commands", dict(slash_command_body("phase 3")), {"text": "ack text"}),
        ("interactive", json.loads(block_actions_body("b", "v")["payload"]), None),
    ],
)
def test_envelopes_reach_the_sdk_client_and_acks_come_back(
    link: Link, kind: str, payload: dict[str, Any], ack_payload: dict[str, Any] | None
) -> None:
    envelope_id = link.server.send_envelope(kind, payload)
    ack = link.server.wait_for_ack(envelope_id, timeout=5)
    assert ack["envelope_id"] == envelope_id
    assert ack.get("payload") == ack_payload
    request = link.request(envelope_id)
    assert (request.type, request.payload) == (kind, payload)


def test_a_disconnect_message_makes_the_sdk_client_reconnect(link: Link) -> None:
    before = link.server.connection_count
    opened = len(link.api.calls("apps.connections.open"))
    link.server.send_disconnect()
    link.server.wait_connected(timeout=10, count=before + 1)
    assert len(link.api.calls("apps.connections.open")) > opened
    event = reaction_event("reaction_added", user="U1", reaction="eyes", channel="C1", ts="1.2")
    envelope_id = link.server.send_envelope("events_api", event_callback(event))
    assert link.server.wait_for_ack(envelope_id, timeout=5)["envelope_id"] == envelope_id


@pytest.mark.parametrize(
    ("kind", "payload", "fields"),
    [
        (
            "events_api",
            {"type": "event_callback"},
            {"accepts_response_payload": False, "retry_attempt": 2, "retry_reason": "timeout"},
        ),
        ("slash_commands", {"command": "/progression"}, {"accepts_response_payload": True}),
        ("interactive", {"type": "block_actions"}, {"accepts_response_payload": False}),
        ("interactive", {"type": "view_submission"}, {"accepts_response_payload": True}),
    ],
)
def test_hello_and_envelopes_on_the_wire(
    kind: str, payload: dict[str, Any], fields: dict[str, Any]
) -> None:
    with SocketModeServer() as server, connect(server.url, open_timeout=5) as socket:
        hello = json.loads(socket.recv(timeout=5))
        assert set(hello) == {"type", "num_connections", "debug_info", "connection_info"}
        server.wait_connected(timeout=5)
        retry = {"retry_attempt": 2, "retry_reason": "timeout"} if kind == "events_api" else {}
        envelope_id = server.send_envelope(kind, payload, **retry)  # type: ignore[arg-type]
        sent = json.loads(socket.recv(timeout=5))
        assert sent == {"envelope_id": envelope_id, "type": kind, "payload": payload, **fields}
        with pytest.raises(AssertionError, match="no ack"):
            server.wait_for_ack(envelope_id, timeout=0.05)
        socket.send(json.dumps({"envelope_id": envelope_id}))
        assert server.wait_for_ack(envelope_id, timeout=5) == {"envelope_id": envelope_id}


def test_an_unknown_envelope_type_is_refused() -> None:
    with SocketModeServer() as server, pytest.raises(ValueError, match="unknown envelope"):
        server.send_envelope("slash_command", {})


# --- signed requests --------------------------------------------------------------------


def test_sign_matches_slacks_documented_example() -> None:
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sign("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": (
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        ),
    }
    verifier = SignatureVerifier("8f742231b10e8888abcd99yyyzzz85a5", clock=_At(1531420618))
    assert verifier.is_valid_request(body, headers)


class _At(Clock):
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


def test_payload_builders_carry_slacks_fields() -> None:
    command = slash_command_body("phase 3", response_url="http://r", trigger_id="1.2.3")
    assert set(command) == {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id",
        "user_name", "command", "text", "api_app_id", "is_enterprise_install",
        "response_url", "trigger_id",
    }  # fmt: skip
    assert all(isinstance(v, str) for v in command.values())
    callback = event_callback(app_home_opened_event("U1"), event_id="Ev1", event_time=17)
    assert callback["type"] == "event_callback" and callback["event_id"] == "Ev1"
    assert callback["event_time"] == 17 and callback["authorizations"][0]["team_id"] == "T0001"
    assert {"is_ext_shared_channel", "event_context", "api_app_id", "token"} <= set(callback)
    reaction = reaction_event("reaction_added", user="U1", reaction="eyes", channel="C1", ts="1.2")
    assert reaction["item"] == {"type": "message", "channel": "C1", "ts": "1.2"}
    action = json.loads(block_actions_body("a", "v", response_url="http://r")["payload"])
    assert action["type"] == "block_actions" and action["actions"][0]["value"] == "v"
    assert (action["user"]["id"], action["team"]["id"], action["channel"]["id"]) == (
        "U1",
        "T0001",
        "C1",
    )
    assert action["container"]["type"] == "message" and action["response_url"] == "http://r"


@dataclass
class BoltServer:
    """A real Bolt app behind a keep-alive HTTP server, as the app runs behind gunicorn."""

    app: App
    url: str
    seen: list[BoltRequest] = field(default_factory=list)


def _bolt_handler(app: App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            headers: dict[str, str | Sequence[str]] = {
                k.lower(): [v] for k, v in self.headers.items()
            }
            answer = app.dispatch(BoltRequest(body=body, headers=headers))
            data = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def bolt(api: SlackWebAPI) -> Iterator[BoltServer]:
    app = App(client=client_for(api), signing_secret=SECRET, process_before_response=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _bolt_handler(app))
    running = BoltServer(app, f"http://127.0.0.1:{server.server_address[1]}/slack/events")

    @app.command("/progression")
    def command(ack: Ack, command: dict[str, Any]) -> None:
        ack(f"you asked for {command['text']} in {command['channel_name']}")

    @app.event("app_home_opened")
    def home(request: BoltRequest, event: dict[str, Any], client: WebClient) -> None:
        running.seen.append(request)
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    @app.action("share")
    def share(ack: Ack, respond: Respond, action: dict[str, Any]) -> None:
        ack()
        respond(text=f"shared {action['value']}", response_type="in_channel")

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_slash_command_reaches_bolt_signed_and_its_ack_comes_back(bolt: BoltServer) -> None:
    with SlackSender(bolt.url, SECRET) as slack:
        answer = slack.command("phase 3", channel_name="roosevelt")
        again = slack.command("3.8")  # the same kept-alive connection
    assert answer.status == 200
    assert answer.text == "you asked for phase 3 in roosevelt"
    assert again.text == "you asked for 3.8 in lincoln-teachers"


def test_events_carry_slacks_retry_headers(api: SlackWebAPI, bolt: BoltServer) -> None:
    with SlackSender(bolt.url, SECRET) as slack:
        assert slack.event(app_home_opened_event("U1")).status == 200
        retried = slack.event(app_home_opened_event("U1"), retry_num=2, retry_reason="http_error")
    assert retried.status == 200
    first, second = bolt.seen
    assert "x-slack-retry-num" not in first.headers
    assert second.headers["x-slack-retry-num"] == ["2"]
    assert second.headers["x-slack-retry-reason"] == ["http_error"]
    assert [c.params["user_id"] for c in api.calls("views.publish")] == ["U1", "U1"]


def test_an_action_answers_through_its_response_url(api: SlackWebAPI, bolt: BoltServer) -> None:
    with SlackSender(bolt.url, SECRET) as slack:
        answer = slack.action("share", "3.8", response_url=api.response_url("share"))
    assert answer.status == 200
    [call] = api.wait_for("response_url")
    assert call.params["text"] == "shared 3.8" and call.params["response_type"] == "in_channel"


@pytest.mark.parametrize(
    ("secret", "age", "strip"),
    [
        ("another-secret", 0, ""),  # forged
        (SECRET, 6 * 60, ""),  # stale: Bolt allows five minutes
        (SECRET, 0, "X-Slack-Signature"),
        (SECRET, 0, "X-Slack-Request-Timestamp"),
    ],
)
def test_bolt_refuses_forged_stale_and_unsigned_requests(
    bolt: BoltServer, secret: str, age: int, strip: str
) -> None:
    body = urllib.parse.urlencode(slash_command_body("phase 3")).encode()
    headers = sign(secret, body, int(time.time()) - age)
    headers.pop(strip, None)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    with SlackSender(bolt.url, SECRET) as slack:
        assert slack.raw(body, headers).status == 401
        assert slack.command("phase 3").status == 200  # the genuine one still passes


def test_the_sender_signs_with_its_clock(bolt: BoltServer) -> None:
    with SlackSender(bolt.url, SECRET, clock=lambda: time.time() - 3600) as slack:
        assert slack.command("phase 3").status == 401


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def test_files_upload_v2_uploads_and_shares_the_file_as_slack_does(api: SlackWebAPI) -> None:
    api.add_channel("CDIGEST", name="lincoln-leaders")
    client = client_for(api)
    done = client.files_upload_v2(
        channel="CDIGEST",
        file=PNG,
        filename="digest.png",
        title="Lincoln progress",
        alt_txt="Lincoln: Teacher 58%.",
    )
    shared = done["file"]
    assert shared["title"] == "Lincoln progress" and shared["channels"] == ["CDIGEST"]
    assert [c.method for c in api.calls() if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    stored = api.workspace.files[shared["id"]]
    assert stored.data == PNG and stored.alt_txt == "Lincoln: Teacher 58%."
    [message] = api.workspace.messages["CDIGEST"]
    assert (
        message.files[0]["id"] == shared["id"]
        and message.user == api.workspace.identity.bot_user_id
    )


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("no bytes", "file_not_found"),
        ("not a member", "not_in_channel"),
        ("archived", "is_archived"),
    ],
)
def test_completing_an_upload_refuses_what_slack_refuses(
    api: SlackWebAPI, setup: str, error: str
) -> None:
    api.add_channel("COUT", is_member=False)
    api.add_channel("CARCH", is_archived=True)
    api.add_channel("CIN")
    client = client_for(api)
    asked = client.files_getUploadURLExternal(filename="a.png", length=len(PNG))
    if setup != "no bytes":
        with urllib.request.urlopen(
            urllib.request.Request(asked["upload_url"], data=PNG, method="POST"), timeout=5
        ) as sent:
            assert sent.status == 200
    channel = {"no channel": "CNONE", "not a member": "COUT", "archived": "CARCH"}.get(setup, "CIN")
    with pytest.raises(SlackApiError) as refused:
        client.files_completeUploadExternal(
            files=[{"id": asked["file_id"], "title": "t"}], channel_id=channel
        )
    assert refused.value.response["error"] == error


def test_an_upload_url_takes_its_bytes_once_and_of_the_length_announced(api: SlackWebAPI) -> None:
    client = client_for(api)
    asked = client.files_getUploadURLExternal(filename="a.png", length=len(PNG))

    def send(data: bytes) -> int:
        request = urllib.request.Request(asked["upload_url"], data=data, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    assert send(PNG[:-1]) == 404
    assert send(PNG) == 200
    assert send(PNG) == 404
    with pytest.raises(SlackApiError) as refused:
        client.files_getUploadURLExternal(filename="", length=3)
    assert refused.value.response["error"] == "invalid_arguments"


def test_conversations_info_counts_the_members_with_the_app_when_asked(api: SlackWebAPI) -> None:
    api.add_channel("CTEACH")
    api.add_member("CTEACH", "U1", "U2", "U3")
    client = client_for(api)
    assert "num_members" not in client.conversations_info(channel="CTEACH")["channel"]
    info = client.conversations_info(channel="CTEACH", include_num_members=True)["channel"]
    assert info["num_members"] == 4  # three people and the app
