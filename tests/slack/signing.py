"""Requests exactly as Slack sends them: its payload shapes, signed with the signing secret."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.signature import SignatureVerifier

from tests.slack.web_api import APP_ID, TEAM_ID

_ids = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Slack's v0 signature headers, from slack_sdk's `SignatureVerifier.generate_signature`
    (as bolt-python's tests sign).

    Slack signs the body's bytes; slack_sdk reads the body as text. A body that is not UTF-8
    (Slack never sends one; a test does, to see it refused) is signed over its bytes here."""
    try:
        signature = SignatureVerifier(secret).generate_signature(
            timestamp=str(timestamp), body=body.decode("utf-8")
        )
    except UnicodeDecodeError:
        base = b"v0:" + str(timestamp).encode() + b":" + body
        signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": str(signature)}


def slash_command_body(
    text: str,
    *,
    command: str = "/progression",
    user_id: str = "U1",
    user_name: str = "ana",
    channel_id: str = "C1",
    channel_name: str = "lincoln-teachers",
    team_id: str = TEAM_ID,
    team_domain: str = "district",
    response_url: str = "http://127.0.0.1:9/response/none",
    trigger_id: str = "",
    api_app_id: str = APP_ID,
) -> dict[str, str]:
    """The form fields of a slash command request."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{next(_ids)}.1.abcdef",
    }


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    event_time: int | None = None,
) -> dict[str, Any]:
    """The Events API envelope around one event."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):010d}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "U0BOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{next(_ids)}",
        "context_team_id": team_id,
        "context_enterprise_id": None,
    }


def url_verification_body(challenge: str) -> dict[str, Any]:
    """What Slack sends once to check a Request URL; the app answers the challenge."""
    return {
        "token": "deprecated-verification-token",
        "challenge": challenge,
        "type": "url_verification",
    }


def reaction_event(
    kind: str,
    *,
    user: str,
    reaction: str,
    channel: str,
    ts: str,
    item_user: str = "U0BOT",
    item_type: str = "message",
    event_ts: str | None = None,
) -> dict[str, Any]:
    """`reaction_added` or `reaction_removed` on a message (or a file)."""
    item: dict[str, Any] = (
        {"type": "message", "channel": channel, "ts": ts}
        if item_type == "message"
        else {"type": "file", "file": "F0001"}
    )
    return {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": item,
        "event_ts": event_ts or f"{time.time():.6f}",
    }


def app_home_opened_event(
    user: str, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`app_home_opened`; `view` is the Home tab the app last published, if any."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = view
    return event


def block_actions_body(
    action_id: str,
    value: str,
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    team_id: str = TEAM_ID,
    response_url: str = "http://127.0.0.1:9/response/none",
    container: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
) -> dict[str, str]:
    """An interactive `block_actions` request: one form field, `payload`, holding JSON.
    A button in a message by default; with `view`, a button on the Home tab (no channel,
    no response_url); `message` is the (non-ephemeral) message the button is in."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": container
        or {
            "type": "message",
            "message_ts": "1700000000.000001",
            "channel_id": channel_id,
            "is_ephemeral": True,
        },
        "trigger_id": f"{next(_ids)}.1.abcdef",
        "team": {"id": team_id, "domain": "district"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "lincoln-teachers"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": "button"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0001")}
        payload.pop("channel")
        payload.pop("response_url")
    return {"payload": json.dumps(payload)}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


# Slack's own headers on every request it sends to an app.
_SLACK_HEADERS = {"User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", "Accept": "*/*"}


class SlackSender:
    """Sends requests to a running app as Slack does: signed, over keep-alive HTTP, one
    connection per thread. `clock` gives the signature's timestamp (Unix seconds); `timeout`
    is how long it waits for an answer (Slack itself gives up after 3 seconds). An https URL
    is reached over TLS, trusting what `tls` trusts (a test's own certificate)."""

    def __init__(
        self,
        url: str,
        signing_secret: str,
        clock: Callable[[], float] = time.time,
        timeout: float = 30,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.tls = tls if parsed.scheme == "https" else None
        default_port = 443 if parsed.scheme == "https" else 80
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or default_port
        self.path = parsed.path or "/"
        self.secret = signing_secret
        self.clock = clock
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[http.client.HTTPConnection] = []

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()

    def __enter__(self) -> SlackSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def command(self, text: str, **fields: str) -> Response:
        """A slash command; `fields` override `slash_command_body`'s defaults."""
        body = urllib.parse.urlencode(slash_command_body(text, **fields)).encode()
        return self._signed(body, "application/x-www-form-urlencoded")

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        team_id: str = TEAM_ID,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        event_time: int | None = None,
    ) -> Response:
        """An Events API callback; with `retry_num`, Slack's retry of an unacknowledged one."""
        envelope = event_callback(event, event_id=event_id, team_id=team_id, event_time=event_time)
        body = json.dumps(envelope).encode()
        extra = {}
        if retry_num is not None:
            extra["X-Slack-Retry-Num"] = str(retry_num)
            extra["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self._signed(body, "application/json", extra)

    def action(self, action_id: str, value: str, **fields: Any) -> Response:
        """A `block_actions` interaction; `fields` go to `block_actions_body`."""
        body = urllib.parse.urlencode(block_actions_body(action_id, value, **fields)).encode()
        return self._signed(body, "application/x-www-form-urlencoded")

    def url_verification(self, challenge: str) -> Response:
        body = json.dumps(url_verification_body(challenge)).encode()
        return self._signed(body, "application/json")

    def raw(self, body: bytes, headers: dict[str, str]) -> Response:
        """`body` with exactly `headers` (no signature added): forged, stale, or unsigned."""
        return self._send(body, headers)

    def _signed(
        self, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> Response:
        headers = {**_SLACK_HEADERS, "Content-Type": content_type}
        headers.update(sign(self.secret, body, int(self.clock())))
        headers.update(extra or {})
        return self._send(body, headers)

    def _send(self, body: bytes, headers: dict[str, str]) -> Response:
        connection, reused = self._connection()
        try:
            return self._exchange(connection, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            self._local.connection = None
            if not reused:
                raise
        # The app closed a kept-alive connection while it was idle: send once more, afresh.
        connection, _ = self._connection()
        return self._exchange(connection, body, headers)

    def _exchange(
        self, connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]
    ) -> Response:
        connection.request("POST", self.path, body=body, headers=headers)
        answer = connection.getresponse()
        return Response(answer.status, dict(answer.getheaders()), answer.read())

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection, and whether it has carried a request before."""
        kept: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if kept is not None:
            return kept, True
        connection: http.client.HTTPConnection
        if self.tls is not None:
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self.tls
            )
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._local.connection = connection
        with self._lock:
            self._opened.append(connection)
        return connection, False
