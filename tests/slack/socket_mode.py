"""A local stand-in for Slack's Socket Mode WebSocket server.

Give `server.url` to `SlackWebAPI.socket_url`: apps.connections.open hands it to the app."""

from __future__ import annotations

import json
import threading
import time
import uuid
from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "A0APP"
ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")
# Interactions whose ack may carry a response (view_submission errors, block_suggestion options).
_RESPONDING_INTERACTIONS = ("view_submission", "block_suggestion")


def hello_message(connections: int = 1) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {
            "host": "applink-local",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": APP_ID},
    }


def envelope(
    type: str, payload: dict[str, Any], retry_attempt: int = 0, retry_reason: str = ""
) -> dict[str, Any]:
    """What Slack sends over the socket for an event, a slash command or an interaction."""
    if type not in ENVELOPE_TYPES:
        raise ValueError(f"unknown envelope type {type!r}; Slack sends {ENVELOPE_TYPES}")
    message: dict[str, Any] = {"envelope_id": str(uuid.uuid4()), "payload": payload, "type": type}
    if type == "events_api":
        message.update(
            accepts_response_payload=False, retry_attempt=retry_attempt, retry_reason=retry_reason
        )
    elif type == "slash_commands":
        message["accepts_response_payload"] = True
    else:
        message["accepts_response_payload"] = payload.get("type") in _RESPONDING_INTERACTIONS
    return message


class SocketModeServer:
    """Say `hello` to each connection, send envelopes, and collect the app's acks."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []  # every JSON message the app sent
        self.connection_count = 0  # connections ever opened, for reconnection tests
        self.paths: list[str] = []  # the request path of each connection
        # No keepalive pings of its own: a ping landing while slack_sdk's builtin client is
        # closing deadlocks its send and receive locks. `ping()` sends one on demand.
        self._server: Server = serve(self._serve, "127.0.0.1", 0, ping_interval=None)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Shaped like Slack's wss://wss-primary.slack.com/link/?ticket=...&app_id=..."""
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=local-ticket&app_id={APP_ID}"

    def start(self) -> SocketModeServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()  # closes open connections with 1001 going away
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, connection: ServerConnection) -> None:
        with self._lock:
            connections = len(self._connections) + 1
        # hello first: an envelope sent once wait_connected() returns must come after it
        connection.send(json.dumps(hello_message(connections)))
        with self._lock:
            self._connections.append(connection)
            self.connection_count += 1
            self.paths.append(connection.request.path if connection.request else "")
            self._lock.notify_all()
        try:
            for message in connection:
                data = json.loads(message)
                with self._lock:
                    self.received.append(data)
                    if "envelope_id" in data:
                        self._acks[data["envelope_id"]] = data
                    self._lock.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.remove(connection)
                self._lock.notify_all()

    def wait_connected(self, timeout: float = 10, count: int = 1) -> None:
        """Until `count` connections were ever opened and one is open."""
        with self._lock:
            if not self._lock.wait_for(
                lambda: self.connection_count >= count and bool(self._connections), timeout
            ):
                raise AssertionError(f"the app did not connect ({self.connection_count} so far)")

    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        retry_attempt: int = 0,
        retry_reason: str = "",
        to: int | None = None,
    ) -> str:
        """Send what Slack sends for a slash command, an event or an interaction (over the
        `to`th open connection, as Slack picks one of an app's; the latest by default);
        returns its envelope_id."""
        message = envelope(type, payload, retry_attempt, retry_reason)
        self.send_raw(message, to)
        return str(message["envelope_id"])

    def send_disconnect(self, reason: str = "refresh_requested", close: bool = True) -> None:
        """Slack's notice that it closes this connection; the app should open a new one.
        With `close`, hang up right after it, as Slack does for a refresh."""
        with self._lock:
            if not self._connections:
                raise AssertionError("no app is connected")
            connection = self._connections[-1]
        connection.send(
            json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "local"}})
        )
        if close:
            connection.close()

    def send_raw(self, message: dict[str, Any], to: int | None = None) -> None:
        with self._lock:
            if not self._connections:
                raise AssertionError("no app is connected")
            connection = self._connections[-1 if to is None else to]
        connection.send(json.dumps(message))

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def ping(self, timeout: float = 5) -> float:
        """Ping the app's connection; seconds until its pong (the client answered)."""
        with self._lock:
            if not self._connections:
                raise AssertionError("no app is connected")
            connection = self._connections[-1]
        started = time.monotonic()
        if not connection.ping().wait(timeout):
            raise AssertionError(f"no pong within {timeout} s")
        return time.monotonic() - started

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:
        """The app's ack: {"envelope_id": ...} and, for an answer in the ack, "payload"."""
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no ack for {envelope_id}")
            return self._acks[envelope_id]
