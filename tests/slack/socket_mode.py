"""Slack's Socket Mode for tests: the local workspace's Socket Mode (`workspace.socket_mode`)
on a server of its own on 127.0.0.1.

Give `server.url` to `SlackWebAPI.socket_url`: apps.connections.open hands it to the app."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from tests.slack.web_api import APP_ID, IDENTITY
from workspace.clock import WorkspaceClock
from workspace.server_thread import ServerThread, listen, ping
from workspace.socket_mode import ENVELOPE_TYPES, SocketMode, envelope, hello_message
from workspace.state import Workspace

__all__ = ["APP_ID", "ENVELOPE_TYPES", "SocketModeServer", "envelope", "hello_message"]

SEND_TIMEOUT = 5.0


class SocketModeServer:
    """Say `hello` to each connection, send envelopes, and collect the app's acks."""

    def __init__(self) -> None:
        workspace = Workspace(WorkspaceClock(), IDENTITY)
        self.socket_mode = SocketMode(workspace)
        app = Starlette(routes=[WebSocketRoute("/link/", self.socket_mode.serve)])
        self._server = ServerThread(app, listen("127.0.0.1", 0), "socket-mode")

    @property
    def url(self) -> str:
        """Shaped like Slack's wss://wss-primary.slack.com/link/?ticket=...&app_id=..."""
        return f"ws://127.0.0.1:{self._server.port}/link/?ticket=local-ticket&app_id={APP_ID}"

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every JSON message the app sent."""
        return self.socket_mode.received

    @property
    def connection_count(self) -> int:
        return self.socket_mode.connection_count

    @property
    def paths(self) -> list[str]:
        return self.socket_mode.paths

    def start(self) -> SocketModeServer:
        if not self._server.start():
            raise RuntimeError("the Socket Mode stand-in did not start")
        return self

    def stop(self) -> None:
        self._server.stop()  # closes open connections, as a restarting Slack does

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_connected(self, timeout: float = 10, count: int = 1) -> None:
        """Until `count` connections were ever opened and one is open."""
        if not self.socket_mode.wait_connected(timeout, count):
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
        self._connected()
        self._server.run(self.socket_mode.disconnect(reason, close), SEND_TIMEOUT)

    def send_raw(self, message: dict[str, Any], to: int | None = None) -> None:
        self._connected()
        self._server.run(self.socket_mode.send_raw(message, to), SEND_TIMEOUT)

    @property
    def open_connections(self) -> int:
        return self.socket_mode.open_connections

    def ping(self, timeout: float = 5) -> float:
        """Ping the app's connection; seconds until its pong (the client answered)."""
        client = self._connected()
        rtt = self._server.run(ping(self._server.server, client, timeout), timeout + 1)
        if rtt is None:
            raise AssertionError(f"no pong within {timeout} s")
        return float(rtt)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:
        """The app's ack: {"envelope_id": ...} and, for an answer in the ack, "payload"."""
        ack = self.socket_mode.wait_for_ack(envelope_id, timeout)
        if ack is None:
            raise AssertionError(f"no ack for {envelope_id}")
        return ack

    def _connected(self) -> tuple[str, int]:
        client = self.socket_mode.client_of_newest()
        if client is None:
            raise AssertionError("no app is connected")
        return client
