"""A local stand-in for Slack's Web API: a real HTTP server on 127.0.0.1 that the app reaches
through SLACK_API_URL. It answers like Slack, records every call, and injects faults."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

TEAM_ID = "T0001"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
# Fields slack_sdk sends JSON-encoded inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float


@dataclass
class _Fault:
    kind: str  # "error", "429", "5xx", "drop"
    times: int
    channel: str | None
    error: str = ""
    status: int = 500
    retry_after: int = 1


@dataclass
class _Limits:
    method: str
    per_channel: float
    per_workspace: float
    channel_last: dict[str, float] = field(default_factory=dict)
    recent: deque[float] = field(default_factory=deque)
    not_before: float = 0.0


class SlackWebAPI:
    """`with SlackWebAPI() as api:` then give the app `api.url` as SLACK_API_URL."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._delays: dict[tuple[str, str | None], float] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._limits: _Limits | None = None
        self._random: tuple[str, float, float, random.Random] | None = None
        self.limit_violations = 0
        self.socket_url = ""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> SlackWebAPI:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SlackWebAPI:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget calls, faults, delays, limits and directories (between tests)."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._delays.clear()
            self._users.clear()
            self._channels.clear()
            self._limits = None
            self._random = None
            self.limit_violations = 0

    # --- records --------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Block until `count` calls of `method` arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} {method} calls, wanted {count}")
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def response_url(self, name: str = "r") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # --- directories ----------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        name: str = "",
        tz: str = "America/Chicago",
    ) -> None:
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": name or user_id.lower(),
                "real_name": name or user_id,
                "is_admin": is_admin,
                "is_owner": is_owner,
                "is_primary_owner": False,
                "is_bot": is_bot,
                "deleted": False,
                "tz": tz,
                "profile": {"display_name": name or user_id},
            }

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str = "",
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
    ) -> None:
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name or channel_id.lower(),
                "is_channel": True,
                "is_private": is_private,
                "is_member": is_member,
                "is_archived": is_archived,
            }

    # --- faults ---------------------------------------------------------------------

    def fail(self, method: str, error: str, times: int = 1, channel: str | None = None) -> None:
        self._add_fault(method, _Fault("error", times, channel, error=error))

    def rate_limit(
        self, method: str, retry_after: int = 1, times: int = 1, channel: str | None = None
    ) -> None:
        self._add_fault(method, _Fault("429", times, channel, retry_after=retry_after))

    def server_error(
        self, method: str, status: int = 500, times: int = 1, channel: str | None = None
    ) -> None:
        self._add_fault(method, _Fault("5xx", times, channel, status=status))

    def drop_connection(self, method: str, times: int = 1, channel: str | None = None) -> None:
        self._add_fault(method, _Fault("drop", times, channel))

    def delay(self, method: str, seconds: float, channel: str | None = None) -> None:
        with self._lock:
            if seconds:
                self._delays[(method, channel)] = seconds
            else:
                self._delays.pop((method, channel), None)

    def enforce_limits(
        self,
        per_channel_per_second: float = 1.0,
        per_workspace_per_second: float = 20.0,
        method: str = "chat.postMessage",
    ) -> None:
        """Answer 429 when a post would pass Slack's rates; count posts sent too early."""
        with self._lock:
            self._limits = _Limits(method, per_channel_per_second, per_workspace_per_second)

    def inject_random(
        self,
        method: str,
        rate_429: float = 0.05,
        rate_500: float = 0.02,
        seed: int = 0,
    ) -> None:
        with self._lock:
            self._random = (method, rate_429, rate_500, random.Random(seed))

    def _add_fault(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults[method].append(fault)

    # --- answering ------------------------------------------------------------------

    def _take_fault(self, method: str, channel: str | None) -> _Fault | None:
        with self._lock:
            for fault in self._faults.get(method, []):
                if fault.channel is None or fault.channel == channel:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults[method].remove(fault)
                    return fault
            return None

    def _delay_for(self, method: str, channel: str | None) -> float:
        with self._lock:
            return self._delays.get((method, channel), self._delays.get((method, None), 0.0))

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def _limited(self, method: str, channel: str | None) -> _Fault | None:
        """A 429 from the enforced limits or the random faults, else None (and the post counts)."""
        with self._lock:
            if self._random and self._random[0] == method:
                _, rate_429, rate_500, rng = self._random
                roll = rng.random()
                if roll < rate_429:
                    return _Fault("429", 1, None, retry_after=1)
                if roll < rate_429 + rate_500:
                    return _Fault("5xx", 1, None, status=500)
            limits = self._limits
            if limits is None or limits.method != method:
                return None
            now = time.monotonic()
            if now < limits.not_before:
                self.limit_violations += 1
            while limits.recent and now - limits.recent[0] >= 1.0:
                limits.recent.popleft()
            last = limits.channel_last.get(channel or "")
            channel_wait = 0.0 if last is None else last + 1 / limits.per_channel - now
            workspace_wait = (
                limits.recent[0] + 1.0 - now if len(limits.recent) >= limits.per_workspace else 0.0
            )
            wait = max(channel_wait, workspace_wait)
            if wait > 0:
                retry_after = max(1, int(wait + 0.999))
                limits.not_before = max(limits.not_before, now + min(wait, retry_after))
                return _Fault("429", 1, None, retry_after=retry_after)
            limits.recent.append(now)
            limits.channel_last[channel or ""] = now
            return None

    def answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Slack's answer to a successful call."""
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://district.slack.com/",
                "team": "Test District",
                "user": "progression",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-"):
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            message = {
                "type": "message",
                "text": params.get("text", ""),
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
                "blocks": params.get("blocks", []),
            }
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": params.get("ts"),
                "text": params.get("text", ""),
            }
        if method == "chat.delete":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.getPermalink":
            return {
                "ok": True,
                "channel": params.get("channel"),
                "permalink": f"https://district.slack.com/archives/{params.get('channel')}",
            }
        if method == "users.info":
            with self._lock:
                user = self._users.get(str(params.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.info":
            channel_id = str(params.get("channel"))
            with self._lock:
                channel = self._channels.get(channel_id)
            return {
                "ok": True,
                "channel": channel
                or {
                    "id": channel_id,
                    "name": channel_id.lower(),
                    "is_channel": True,
                    "is_private": False,
                    "is_member": True,
                    "is_archived": False,
                },
            }
        if method == "conversations.open":
            users = str(params.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + users}}
        if method == "views.publish":
            view = params.get("view", {})
            return {"ok": True, "view": {"id": "V0001", **(view if isinstance(view, dict) else {})}}
        return {"ok": False, "error": "unknown_method"}


def _decode(body: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    if not body:
        return params
    if "json" in content_type:
        params.update(json.loads(body))
        return params
    for key, values in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items():
        value: Any = values[-1]
        if key in _JSON_FIELDS:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[key] = value
    return params


def _handler_for(api: SlackWebAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            params = _decode(body, self.headers.get("Content-Type", ""), query)
            if path.startswith("/response/"):
                api._record(Call("response_url", params, None, time.monotonic()))
                self._send(200, {"ok": True})
                return
            method = path.removeprefix("/api/")
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
            token = token or params.pop("token", None)
            channel = params.get("channel")
            channel = str(channel) if channel is not None else None
            if delay := api._delay_for(method, channel):
                time.sleep(delay)
            api._record(Call(method, params, token, time.monotonic()))
            if not token:
                self._send(200, {"ok": False, "error": "not_authed"})
                return
            if not token.startswith(("xoxb-", "xapp-", "xoxp-")):
                self._send(200, {"ok": False, "error": "invalid_auth"})
                return
            fault = api._take_fault(method, channel) or api._limited(method, channel)
            self._answer(fault, method, params, token)

        def _answer(
            self, fault: _Fault | None, method: str, params: dict[str, Any], token: str
        ) -> None:
            if fault is None:
                self._send(200, api.answer(method, params, token))
            elif fault.kind == "error":
                self._send(200, {"ok": False, "error": fault.error})
            elif fault.kind == "429":
                self._send(
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(fault.retry_after)},
                )
            elif fault.kind == "5xx":
                self._send(fault.status, {"ok": False, "error": "internal_error"})
            else:
                self.close_connection = True
                self.connection.close()

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


Clock = Callable[[], float]
