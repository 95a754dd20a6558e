"""What reaches /slack/events from outside: oversized, unsigned, malformed, replayed or
anonymous requests are refused in kind, and nothing of a body reaches the log."""

from __future__ import annotations

import itertools
import json
import socket
import time
import urllib.parse
from pathlib import Path

import pytest

from store import Store
from tests.bot.nudges import add_nudge, let_in
from tests.bot.test_after_ack_failures import log_since
from tests.conftest import (
    SIGNING_SECRET,
    RunningApp,
    SocketModeApp,
    app_env,
    socket_mode_app,
    start_http_app,
    stop_app,
)
from tests.slack.signing import (
    TEAM_ID,
    SlackSender,
    block_actions_body,
    event_callback,
    reaction_event,
    sign,
    slash_command_body,
)
from tests.slack.web_api import SlackWebAPI

FORM = "application/x-www-form-urlencoded"
HOME = {"id": "V0001", "type": "home"}
_ids = itertools.count(1)


def _signed_headers(body: bytes, content_type: str = FORM) -> dict[str, str]:
    return {"Content-Type": content_type, **sign(SIGNING_SECRET, body, int(time.time()))}


def _form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def _head_only(url: str, content_length: int) -> bytes:
    """Send a request's head announcing `content_length` bytes and none of them; what the
    app answers (it must answer without waiting for the body)."""
    parsed = urllib.parse.urlsplit(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as connection:
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(content_length).encode() + b"\r\n\r\n"
        )
        return connection.recv(4096)


def test_a_body_over_the_limit_is_refused_before_it_is_read(http_app: RunningApp) -> None:
    answer = _head_only(http_app.url, 100 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_chunked_body_over_the_limit_is_refused(http_app: RunningApp) -> None:
    parsed = urllib.parse.urlsplit(http_app.url)
    chunk = b"x" * 65536
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as connection:
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            # Well-formed signature headers, so that the body is read (to count it).
            + f"X-Slack-Request-Timestamp: {int(time.time())}\r\n".encode()
            + b"X-Slack-Signature: v0="
            + b"0" * 64
            + b"\r\n\r\n"
        )
        try:
            for _ in range(17):  # 17 x 64 KiB: just over 1 MiB
                connection.sendall(b"10000\r\n" + chunk + b"\r\n")
            connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the app answered and hung up once the limit was passed
        assert connection.recv(4096).startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize(
    "timestamp", ["", "abc", "1.7e9", "9" * 5000, "-1", " 1700000000", "0x65", "+1700000000"]
)
def test_a_malformed_timestamp_header_is_401(slack: SlackSender, timestamp: str) -> None:
    body = _form(slash_command_body("phase 3"))
    headers = _signed_headers(body)
    headers["X-Slack-Request-Timestamp"] = timestamp
    assert slack.raw(body, headers).status == 401


@pytest.mark.parametrize(
    "signature", ["", "v0=", "v0=zz", "v1=" + "0" * 64, "v0=" + "A" * 64, "v0=" + "0" * 65]
)
@pytest.mark.parametrize("kind", ["command", "event", "action"])
def test_a_malformed_or_wrong_signature_is_401(
    slack: SlackSender, signature: str, kind: str
) -> None:
    if kind == "event":
        event = reaction_event("reaction_added", user="U1", reaction="x", channel="C1", ts="1.2")
        body, content_type = json.dumps(event_callback(event)).encode(), "application/json"
    elif kind == "action":
        body, content_type = _form(block_actions_body("home_mark_done", "C|1")), FORM
    else:
        body, content_type = _form(slash_command_body("phase 3")), FORM
    headers = _signed_headers(body, content_type)
    headers["X-Slack-Signature"] = signature
    assert slack.raw(body, headers).status == 401


def test_missing_signature_headers_and_a_stale_timestamp_are_401(slack: SlackSender) -> None:
    body = _form(slash_command_body("phase 3"))
    assert slack.raw(body, {"Content-Type": FORM}).status == 401
    stale = {"Content-Type": FORM, **sign(SIGNING_SECRET, body, int(time.time()) - 600)}
    assert slack.raw(body, stale).status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"a string"', "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"\xff\xfe=\x00garbage", FORM),
        (b"payload=%7Bbad", FORM),
        (b"payload=%5B1%5D", FORM),
        (b"{not json either", FORM),
    ],
)
def test_a_signed_malformed_body_is_400(
    slack: SlackSender, body: bytes, content_type: str, http_app: RunningApp
) -> None:
    start = len(http_app.output())
    answer = slack.raw(body, _signed_headers(body, content_type))
    assert answer.status == 400
    assert "Traceback" not in http_app.output()[start:]


def test_no_body_reaches_the_log_and_no_line_is_forged(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp
) -> None:
    start = len(http_app.output())
    marker = "BODY-MARKER-7f3a"
    forged = f"x\n2026-01-01 00:00:00,000 ERROR progression_bot: {marker} forged line"
    unsigned = _form(slash_command_body(forged))
    assert slack.raw(unsigned, {"Content-Type": FORM}).status == 401
    assert slack.raw(unsigned, {"Content-Type": FORM, "X-Slack-Signature": "v0=1"}).status == 401
    signed_bad = f'{{"{marker}": \n'.encode()
    assert slack.raw(signed_bad, _signed_headers(signed_bad, "application/json")).status == 400
    assert slack.command(forged, user_id="ULOG1").status == 200
    # A user id from outside that the app does log: its users.info look-up fails.
    nudge = add_nudge(http_app.db, ref="1.2")
    api.faults.fail("users.info", "fatal_error")
    intruder = "UFORGE\n2026-01-01 00:00:00,000 ERROR progression_bot: forged\u2028x"
    react = reaction_event(
        "reaction_added",
        user=intruder,
        reaction="white_check_mark",
        channel=nudge.channel,
        ts=nudge.ts,
    )
    assert slack.event(react).status == 200
    logged = log_since(http_app, start, "users.info for UFORGE")
    assert marker not in logged
    assert not any(line.startswith("2026-01-01") for line in logged.splitlines())


def test_a_replayed_subscribe_acts_once_across_workers(api: SlackWebAPI, tmp_path: Path) -> None:
    # Two processes on one database: the memory of seen requests is in the store.
    api.add_user("UREPLAY", is_admin=True)
    env = app_env(api, tmp_path / "shared.db")
    one = start_http_app(env, tmp_path)
    other = start_http_app(env, tmp_path)
    try:
        fields = slash_command_body(
            "subscribe teacher",
            team_id="TREPLAY",
            user_id="UREPLAY",
            channel_id="CREPLAY",
            response_url=api.response_url("replay"),
        )
        body = _form(fields)
        headers = _signed_headers(body)
        with SlackSender(one.url + "/slack/events", SIGNING_SECRET) as first:
            assert first.raw(body, headers).status == 200
        api.wait_for_response_url("replay", timeout=10)
        with SlackSender(other.url + "/slack/events", SIGNING_SECRET) as second:
            again = second.raw(body, headers)
        assert again.status == 200 and again.body == b""
        with SlackSender(one.url + "/slack/events", SIGNING_SECRET) as first:
            assert first.raw(body, headers).body == b""
    finally:
        stop_app(other)
        stop_app(one)
    assert len(api.calls("chat.postMessage")) == 1
    assert len(api.calls("response_url")) == 1


def test_a_replayed_button_press_acts_once(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp
) -> None:
    nudge = add_nudge(http_app.db, ref="4.2")
    let_in(http_app.db, api, nudge, "UREP2")
    value = f"{nudge.channel}|{nudge.ts}"
    press = _form(block_actions_body("home_mark_done", value, user_id="UREP2", view=HOME))
    pressed = _signed_headers(press)
    assert slack.raw(press, pressed).status == 200
    assert slack.action("home_undo", value, user_id="UREP2", view=HOME).status == 200
    assert slack.raw(press, pressed).status == 200  # the first press, sent again
    store = Store(http_app.db)
    try:
        assert "UREP2" not in store.checked_by(TEAM_ID, nudge.channel, nudge.ref)
    finally:
        store.close()
    api.wait_for("chat.update", timeout=10)  # the live count, so it ends within this test


@pytest.mark.parametrize(
    "fields",
    [{"team_id": ""}, {"user_id": ""}, {"team_id": "", "user_id": ""}],
)
def test_a_command_without_team_or_user_is_refused(
    slack: SlackSender, api: SlackWebAPI, fields: dict[str, str]
) -> None:
    api.add_user("UADMNOTEAM", is_admin=True)
    fields.setdefault("user_id", "UADMNOTEAM")
    answer = slack.command("subscriptions", response_url=api.response_url("anon"), **fields)
    assert answer.status == 400
    assert not api.calls("users.info") and not api.calls("response_url")


def test_a_command_missing_team_id_entirely_is_refused(slack: SlackSender) -> None:
    fields = slash_command_body("phase 3")
    del fields["team_id"]
    body = _form(fields)
    assert slack.raw(body, _signed_headers(body)).status == 400


def test_an_action_or_event_without_team_or_user_is_refused(
    slack: SlackSender, api: SlackWebAPI
) -> None:
    payload = json.loads(block_actions_body("home_mark_done", "C|1", team_id="")["payload"])
    body = _form({"payload": json.dumps(payload)})
    assert slack.raw(body, _signed_headers(body)).status == 400
    payload = json.loads(block_actions_body("home_mark_done", "C|1", user_id="")["payload"])
    body = _form({"payload": json.dumps(payload)})
    assert slack.raw(body, _signed_headers(body)).status == 400
    event = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    assert slack.event(event, team_id="").status == 400
    assert slack.event({"type": "app_home_opened", "tab": "home"}).status == 400
    assert not api.calls("views.publish")


@pytest.mark.parametrize("typed", ["\x00", "\u202e", "\u202d", "\u2066", "\u2069", "\u202a"])
def test_nul_and_bidi_controls_are_not_echoed(slack: SlackSender, typed: str) -> None:
    answer = slack.command(f"wizard{typed}gnp.exe {typed}x")
    shown = answer.text
    assert answer.status == 200 and "I don't know" in shown
    assert typed not in json.loads(shown)["text"] and typed not in json.dumps(
        json.loads(shown), ensure_ascii=False
    )


def test_socket_mode_acks_an_anonymous_payload_and_does_nothing(
    socket_app: SocketModeApp, api: SlackWebAPI
) -> None:
    server = socket_app.server
    command = dict(slash_command_body("subscriptions", team_id="", user_id="UADMSOCK"))
    ack = server.wait_for_ack(server.send_envelope("slash_commands", command), timeout=10)
    assert not ack.get("payload")
    event = event_callback({"type": "app_home_opened", "user": "U1", "tab": "home"}, team_id="")
    server.wait_for_ack(server.send_envelope("events_api", event), timeout=10)
    assert not api.calls("views.publish") and not api.calls("users.info")


def test_stopping_socket_mode_shuts_the_scheduler_down_once(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    with socket_mode_app(api, tmp_path) as app:
        pass
    assert "SchedulerNotRunningError" not in app.output and "Traceback" not in app.output
    assert "Socket Mode connection closed" in app.output
