"""A local stand-in for Slack's Web API: a real HTTP server on 127.0.0.1 that the app reaches
through SLACK_API_URL. It answers like Slack, records every call, and injects faults."""

from __future__ import annotations

import itertools
import json
import random
import socket
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

TEAM_ID = "T0001"
TEAM_DOMAIN = "district"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"
# Fields slack_sdk (or an app) may send as JSON strings, in form bodies and in JSON bodies alike.
_JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "metadata", "user_auth_blocks", "unfurls", "message"}
)
_TS_BASE = 1_700_000_000

Clock = Callable[[], float]


@dataclass(frozen=True)
class Call:
    """One request as Slack received it. `outcome` is "ok", Slack's error code, "ratelimited",
    "http_<status>" or "dropped"."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    outcome: str = "ok"
    name: str = ""  # a response_url call: the name given to `response_url(name)`


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


@dataclass(frozen=True)
class _Reply:
    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @property
    def outcome(self) -> str:
        if self.drop:
            return "dropped"
        if self.status != 200:
            return "ratelimited" if self.status == 429 else f"http_{self.status}"
        return "ok" if self.payload.get("ok") else str(self.payload.get("error"))


class SlackWebAPI:
    """`with SlackWebAPI() as api:` then give the app `api.url` as SLACK_API_URL.

    `tokens`: the only tokens accepted; by default any xoxb-/xapp- token is.
    `clock`: monotonic seconds, for `Call.at` and the enforced rate limits."""

    def __init__(
        self, tokens: Collection[str] | None = None, clock: Clock = time.monotonic
    ) -> None:
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._delays: dict[tuple[str, str | None], float] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._ts = itertools.count(100, 100)
        self._limits: _Limits | None = None
        self._random: tuple[str, float, float, random.Random] | None = None
        self._workspace_wait: float | None = None  # see workspace_waits()
        # A 429's wait, per (method, channel); channel None is the workspace. A post that
        # arrives within (from, until) came back too early.
        self._not_before: dict[tuple[str, str | None], tuple[float, float]] = {}
        self._open: set[socket.socket] = set()
        self.tokens = set(tokens) if tokens is not None else None
        self.clock = clock
        self.limit_violations = 0
        self.socket_url = ""
        self._released = threading.Event()  # see hold()
        self._released.set()
        self._response_faults: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> SlackWebAPI:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        with self._lock:
            for connection in self._open:  # idle keep-alive connections: end their threads
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

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
            self._workspace_wait = None
            self._not_before.clear()
            self._response_faults.clear()
            self.limit_violations = 0
        self.release()

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

    def wait_for_response_url(self, name: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Block until `count` POSTs to `response_url(name)` arrived; AssertionError after."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if c.method == "response_url" and c.name == name]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} POSTs to response_url {name}, not {count}")
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def response_url(self, name: str = "r") -> str:
        """A response_url whose POSTs are recorded as `response_url` calls."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # --- holding answers ----------------------------------------------------------

    def hold(self) -> None:
        """From now on every Web API and response_url call is recorded on arrival and its
        answer held until `release()`: what the app does before Slack answers is then
        observable without timing."""
        self._released.clear()

    def release(self) -> None:
        """Send every held answer, and stop holding."""
        self._released.set()

    @property
    def holding(self) -> bool:
        return not self._released.is_set()

    def _wait_released(self) -> None:
        # Bounded, so a test that forgets to release cannot hang the server's threads.
        self._released.wait(timeout=60)

    # --- response_url answers -------------------------------------------------------

    def answer_response_url(self, name: str, status: int, body: str) -> None:
        """The next POST to `response_url(name)` gets `status` and `body` (text), as Slack
        answers an expired or used response_url (404 `expired_url`, `used_url`)."""
        with self._lock:
            self._response_faults[name].append((status, body))

    def _response_answer(self, name: str) -> tuple[int, str] | None:
        """The injected answer for this response_url, or None for Slack's usual one."""
        with self._lock:
            faults = self._response_faults.get(name)
            return faults.pop(0) if faults else None

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
        deleted: bool = False,
    ) -> None:
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": name or user_id.lower(),
                "real_name": name or user_id,
                "deleted": deleted,
                "tz": tz,
                "is_admin": is_admin,
                "is_owner": is_owner,
                "is_primary_owner": False,
                "is_restricted": False,
                "is_ultra_restricted": False,
                "is_bot": is_bot,
                "is_app_user": False,
                "profile": {"display_name": name or user_id, "real_name": name or user_id},
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
            self._channels[channel_id] = _channel(channel_id, name, is_private, is_member)
            self._channels[channel_id]["is_archived"] = is_archived

    # --- faults ---------------------------------------------------------------------

    def fail(self, method: str, error: str, times: int = 1, channel: str | None = None) -> None:
        """Answer `{"ok": false, "error": error}` to the next `times` calls."""
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
        """Close the connection without answering."""
        self._add_fault(method, _Fault("drop", times, channel))

    def delay(self, method: str, seconds: float, channel: str | None = None) -> None:
        """Answer every such call `seconds` late (it is recorded on arrival); 0 removes."""
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
        self, method: str, rate_429: float = 0.05, rate_500: float = 0.02, seed: int = 0
    ) -> None:
        """Answer that share of calls 429 (Retry-After: 1) or 500, at random, repeatably."""
        with self._lock:
            self._random = (method, rate_429, rate_500, random.Random(seed))

    def workspace_waits(self, in_flight: float = 0.2) -> None:
        """From now on an injected 429 asks the whole workspace to wait, not only its channel:
        a post to any channel that arrives during the wait counts in `limit_violations`,
        except in the wait's first `in_flight` seconds (posts already on their way when the
        429 was answered)."""
        with self._lock:
            self._workspace_wait = in_flight

    def _add_fault(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults[method].append(fault)

    # --- answering ------------------------------------------------------------------

    def _respond(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[_Reply, float]:
        """Decide the answer on arrival, record the call; returns the answer and its delay."""
        channel = _channel_of(params)
        with self._lock:
            now = self.clock()
            reply = self._refusal(method, token) or self._fault(method, channel, now)
            if reply is None:
                reply = _Reply(200, self._answer(method, params, token))
            self._calls.append(Call(method, params, token, now, reply.outcome))
            self._lock.notify_all()
            delay = self._delays.get((method, channel), self._delays.get((method, None), 0.0))
        return reply, delay

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def _refusal(self, method: str, token: str | None) -> _Reply | None:
        if not token:
            return _Reply(200, {"ok": False, "error": "not_authed"})
        valid = (
            token in self.tokens
            if self.tokens is not None
            else token.startswith(("xoxb-", "xapp-"))
        )
        if not valid:
            return _Reply(200, {"ok": False, "error": "invalid_auth"})
        if method == "apps.connections.open" and not token.startswith("xapp-"):
            return _Reply(200, {"ok": False, "error": "invalid_auth"})
        if method != "apps.connections.open" and token.startswith("xapp-"):
            return _Reply(200, {"ok": False, "error": "not_allowed_token_type"})
        return None

    def _fault(self, method: str, channel: str | None, now: float) -> _Reply | None:
        """The injected fault or 429 for this call, if any (holding the lock)."""
        if any(
            start <= now < until
            for start, until in (
                self._not_before.get((method, channel), (0.0, 0.0)),
                self._not_before.get((method, None), (0.0, 0.0)),
            )
        ):
            self.limit_violations += 1
        fault = self._take_fault(method, channel) or self._random_fault(method)
        if fault is None:
            return self._enforced(method, channel, now)
        if fault.kind == "error":
            return _Reply(200, {"ok": False, "error": fault.error})
        if fault.kind == "5xx":
            return _Reply(fault.status, {"ok": False, "error": "internal_error"})
        if fault.kind == "drop":
            return _Reply(0, {}, drop=True)
        if self._workspace_wait is not None:
            self._told(method, None, now + fault.retry_after, now + self._workspace_wait)
        else:
            self._told(method, channel, now + fault.retry_after)
        return _ratelimited(fault.retry_after)

    def _take_fault(self, method: str, channel: str | None) -> _Fault | None:
        for fault in self._faults.get(method, []):
            if fault.channel is None or fault.channel == channel:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults[method].remove(fault)
                return fault
        return None

    def _random_fault(self, method: str) -> _Fault | None:
        if self._random is None or self._random[0] != method:
            return None
        _, rate_429, rate_500, rng = self._random
        roll = rng.random()
        if roll < rate_429:
            return _Fault("429", 1, None, retry_after=1)
        if roll < rate_429 + rate_500:
            return _Fault("5xx", 1, None, status=500)
        return None

    def _enforced(self, method: str, channel: str | None, now: float) -> _Reply | None:
        """A 429 when this post would pass the enforced rates; else the post counts."""
        limits = self._limits
        if limits is None or limits.method != method:
            return None
        while limits.recent and now - limits.recent[0] >= 1.0:
            limits.recent.popleft()
        last = limits.channel_last.get(channel or "")
        channel_wait = 0.0 if last is None else last + 1 / limits.per_channel - now
        workspace_wait = (
            limits.recent[0] + 1.0 - now if len(limits.recent) >= limits.per_workspace else 0.0
        )
        if channel_wait > 0:
            self._told(method, channel, now + channel_wait)
        if workspace_wait > 0:
            self._told(method, None, now + workspace_wait)
        wait = max(channel_wait, workspace_wait)
        if wait > 0:
            return _ratelimited(max(1, int(wait + 0.999)))
        limits.recent.append(now)
        limits.channel_last[channel or ""] = now
        return None

    def _told(
        self, method: str, channel: str | None, not_before: float, start: float = 0.0
    ) -> None:
        """Record a 429's wait until `not_before`; arrivals before `start` are not counted.
        A wait told while another runs extends it and counts from where that one did."""
        key = (method, channel)
        old_start, old_until = self._not_before.get(key, (0.0, 0.0))
        if not_before <= old_until:
            return
        self._not_before[key] = (min(start, old_start) if start < old_until else start, not_before)

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{_TS_BASE + n // 1_000_000}.{n % 1_000_000:06d}"

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Slack's answer to a call that met no fault (holding the lock)."""
        answer = _ANSWERS.get(method)
        if answer is None:
            return {"ok": False, "error": "unknown_method"}
        return answer(self, params)

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Test District",
            "user": "progression",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _channel_of(params)
        refused = self._unpostable(channel, params)
        if refused:
            return {"ok": False, "error": refused}
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": params.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if key in params:
                message[key] = params[key]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        refused = self._unpostable(_channel_of(params), params)
        if refused:
            return {"ok": False, "error": refused}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _unpostable(self, channel: str | None, params: dict[str, Any]) -> str:
        """Slack's error for a post it refuses, or ""."""
        if not channel:
            return "channel_not_found"
        known = self._channels.get(channel)
        if known is not None and known["is_private"] and not known["is_member"]:
            return "channel_not_found"
        if known is not None and known["is_archived"]:
            return "is_archived"
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return "no_text"
        return ""

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        message = {"text": params.get("text", ""), "user": BOT_USER_ID, "bot_id": BOT_ID}
        if "blocks" in params:
            message["blocks"] = params["blocks"]
        return {
            "ok": True,
            "channel": params.get("channel"),
            "ts": params["ts"],
            "text": params.get("text", ""),
            "message": message,
        }

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": params.get("channel"), "ts": params["ts"]}

    def _permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), str(params.get("message_ts", ""))
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        archive = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}"
        return {"ok": True, "channel": channel, "permalink": f"{archive}/p{ts.replace('.', '')}"}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(params.get("channel") or "")
        known = self._channels.get(channel_id)
        if not channel_id or (known and known["is_private"] and not known["is_member"]):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": dict(known or _channel(channel_id, "", False, True))}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users") or "").split(",")[0]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": "D" + users}}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not params.get("user_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        number = next(self._ts)
        return {
            "ok": True,
            "view": {
                "id": f"V{number:08d}",
                "team_id": TEAM_ID,
                "type": view.get("type", "home"),
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "state": {"values": {}},
                "hash": f"{_TS_BASE}.{number:08x}",
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                **{k: v for k, v in view.items() if k not in ("id", "hash")},
            },
        }


_ANSWERS: dict[str, Callable[[SlackWebAPI, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": SlackWebAPI._auth_test,
    "apps.connections.open": SlackWebAPI._connections_open,
    "chat.postMessage": SlackWebAPI._post_message,
    "chat.postEphemeral": SlackWebAPI._post_ephemeral,
    "chat.update": SlackWebAPI._update,
    "chat.delete": SlackWebAPI._delete,
    "chat.getPermalink": SlackWebAPI._permalink,
    "users.info": SlackWebAPI._users_info,
    "conversations.info": SlackWebAPI._conversations_info,
    "conversations.open": SlackWebAPI._conversations_open,
    "views.publish": SlackWebAPI._views_publish,
}


def _channel(channel_id: str, name: str, is_private: bool, is_member: bool) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name or channel_id.lower(),
        "is_channel": not is_private,
        "is_group": is_private,
        "is_im": False,
        "is_private": is_private,
        "is_member": is_member,
        "is_archived": False,
        "is_general": False,
        "is_shared": False,
        "is_ext_shared": False,
        "created": _TS_BASE - 86_400,
        "context_team_id": TEAM_ID,
    }


def _channel_of(params: dict[str, Any]) -> str | None:
    channel = params.get("channel")
    return str(channel) if channel is not None else None


def _ratelimited(retry_after: int) -> _Reply:
    return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def _decode(body: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    if body and "json" in content_type:
        decoded = json.loads(body)
        params.update(decoded if isinstance(decoded, dict) else {"body": decoded})
    elif body and "x-www-form-urlencoded" in content_type:
        pairs = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        params.update({k: v[-1] for k, v in pairs.items()})
    for key in _JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Fan-out tests open many connections at once; the default backlog of 5 drops SYNs.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer (a killed app) is not the stand-in's error.
        pass


def _handler_for(api: SlackWebAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        timeout = 60

        def setup(self) -> None:
            super().setup()
            with api._lock:
                api._open.add(self.connection)

        def finish(self) -> None:
            with api._lock:
                api._open.discard(self.connection)
            try:
                super().finish()
            except OSError:
                pass

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
                name = path.removeprefix("/response/")
                injected = api._response_answer(name)
                outcome = "ok" if injected is None else f"http_{injected[0]}"
                api._record(Call("response_url", params, None, api.clock(), outcome, name))
                api._wait_released()
                if injected is None:
                    self._send(_Reply(200, {"ok": True}))
                else:
                    self._send_text(*injected)
                return
            if not path.startswith("/api/"):
                self._send(_Reply(404, {"ok": False, "error": "not_found"}))
                return
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
            from_params = params.pop("token", None)
            reply, delay = api._respond(path.removeprefix("/api/"), params, token or from_params)
            if delay:
                time.sleep(delay)  # Slack being slow to answer; the call has arrived
            api._wait_released()
            self._send(reply)

        def _send_text(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send(self, reply: _Reply) -> None:
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            data = json.dumps(reply.payload).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
