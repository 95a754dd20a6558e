"""Requests exactly as Slack sends them: its payload shapes, signed with the signing secret."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0001"
APP_ID = "A0APP"
_ids = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": "v0=" + digest}


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


def app_home_opened_event(user: str, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


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
) -> dict[str, str]:
    """An interactive `block_actions` request: one form field, `payload`, holding JSON."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id},
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
        "channel": {"id": channel_id, "name": "lincoln-teachers"},
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


class SlackSender:
    """Sends requests to a running app as Slack does: signed, over keep-alive HTTP."""

    def __init__(
        self, url: str, signing_secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.path = parsed.path or "/"
        self.secret = signing_secret
        self.clock = clock
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []

    def close(self) -> None:
        for connection in self._opened:
            connection.close()
        self._opened.clear()

    def __enter__(self) -> SlackSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def command(self, text: str, **fields: str) -> Response:
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
    ) -> Response:
        body = json.dumps(event_callback(event, event_id=event_id, team_id=team_id)).encode()
        extra = {}
        if retry_num is not None:
            extra["X-Slack-Retry-Num"] = str(retry_num)
            extra["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self._signed(body, "application/json", extra)

    def action(self, action_id: str, value: str, **fields: Any) -> Response:
        body = urllib.parse.urlencode(block_actions_body(action_id, value, **fields)).encode()
        return self._signed(body, "application/x-www-form-urlencoded")

    def raw(self, body: bytes, headers: dict[str, str]) -> Response:
        return self._send(body, headers)

    def _signed(
        self, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> Response:
        headers = sign(self.secret, body, int(self.clock()))
        headers["Content-Type"] = content_type
        headers.update(extra or {})
        return self._send(body, headers)

    def _send(self, body: bytes, headers: dict[str, str]) -> Response:
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request("POST", self.path, body=body, headers=headers)
                answer = connection.getresponse()
                return Response(answer.status, dict(answer.getheaders()), answer.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed: open a new one, once.
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self._local.connection = connection
            self._opened.append(connection)
        return connection
