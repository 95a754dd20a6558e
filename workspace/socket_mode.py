"""Socket Mode: the app's WebSocket. `hello` on connect, envelopes out, acks back.

What crossed the socket is kept (`received`, `acks`, `paths`, `connection_count`), and other
threads may wait on it: how a test sees the app answer."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from workspace.state import Workspace

ACK_TIMEOUT = 3.0  # Slack waits three seconds for an ack
ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")
# Interactions whose ack may carry a response (view_submission errors, block_suggestion options).
_RESPONDING_INTERACTIONS = ("view_submission", "block_suggestion")


class NotConnected(Exception):
    """The app has no open Socket Mode connection."""


class AckTimeout(Exception):
    """The app did not ack an envelope within Slack's three seconds."""


class SocketMode:
    """The app's connections (one event loop's), and the envelopes waiting for their ack."""

    def __init__(self, workspace: Workspace, ack_timeout: float = ACK_TIMEOUT) -> None:
        self.workspace = workspace
        self.ack_timeout = ack_timeout  # Slack's three seconds; shorter in tests
        self._connections: list[WebSocket] = []
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._seen = threading.Condition()
        self.received: list[dict[str, Any]] = []  # every JSON message the app sent
        self.acks: dict[str, dict[str, Any]] = {}  # envelope_id -> the app's ack
        self.connection_count = 0  # connections ever opened, for reconnection tests
        self.paths: list[str] = []  # the request path (and query) of each connection

    @property
    def connected(self) -> bool:
        return bool(self._connections)

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        # hello first: an envelope sent once the connection is counted comes after it
        hello = hello_message(len(self._connections) + 1, self.workspace.identity.app_id)
        await websocket.send_text(json.dumps(hello))
        query = websocket.scope.get("query_string", b"").decode()
        with self._seen:
            self._connections.append(websocket)
            self.connection_count += 1
            self.paths.append(websocket.scope["path"] + (f"?{query}" if query else ""))
            self._seen.notify_all()
        self.workspace.announce(kind="app")
        try:
            while True:
                data = json.loads(await websocket.receive_text())
                self._arrived(data)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            with self._seen:
                self._connections.remove(websocket)
                self._seen.notify_all()
            self.workspace.announce(kind="app")

    def _arrived(self, data: dict[str, Any]) -> None:
        envelope_id = str(data.get("envelope_id", ""))
        with self._seen:
            self.received.append(data)
            if envelope_id:
                self.acks[envelope_id] = data
            self._seen.notify_all()
        waiting = self._waiting.pop(envelope_id, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(data)

    async def send(
        self,
        type: str,
        payload: dict[str, Any],
        timeout: float | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> dict[str, Any]:
        """Send an envelope to the app and return its ack."""
        if not self._connections:
            raise NotConnected("the app is not connected")
        message = envelope(type, payload, retry_attempt, retry_reason)
        timeout = self.ack_timeout if timeout is None else timeout
        envelope_id = str(message["envelope_id"])
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[envelope_id] = waiting
        await self._connections[-1].send_text(json.dumps(message))
        try:
            ack = await asyncio.wait_for(waiting, timeout)
        except TimeoutError:
            self._waiting.pop(envelope_id, None)
            self.workspace.record("envelope", _title(type, payload), message, "no ack in time")
            raise AckTimeout(f"no ack for {envelope_id}") from None
        self.workspace.record("envelope", _title(type, payload), message, ack)
        return ack

    async def send_raw(self, message: dict[str, Any], to: int | None = None) -> None:
        """Any message on the newest connection (or the `to`th open one, as Slack picks one
        of an app's connections), as it is, without waiting for an ack."""
        if not self._connections:
            raise NotConnected("the app is not connected")
        await self._connections[-1 if to is None else to].send_text(json.dumps(message))

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    async def disconnect(self, reason: str = "refresh_requested", close: bool = True) -> None:
        """Slack's notice that it closes the newest connection; the app should open a new one.
        With `close`, hang up right after it, as Slack does for a refresh."""
        if not self._connections:
            raise NotConnected("the app is not connected")
        connection = self._connections[-1]
        notice = {"type": "disconnect", "reason": reason, "debug_info": {"host": "local"}}
        await connection.send_text(json.dumps(notice))
        if close:
            await connection.close()

    def client_of_newest(self) -> tuple[str, int] | None:
        """The address of the newest connection's peer (the app), if one is open."""
        with self._seen:
            if not self._connections:
                return None
            client = self._connections[-1].client
            return (client.host, client.port) if client else None

    async def close_all(self) -> None:
        for connection in list(self._connections):
            await connection.close(1001)

    # --- waiting, from other threads ------------------------------------------------

    def wait_connected(self, timeout: float = 10, count: int = 1) -> bool:
        """Until `count` connections were ever opened and one is open."""
        with self._seen:
            return self._seen.wait_for(
                lambda: self.connection_count >= count and bool(self._connections), timeout
            )

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any] | None:
        """The app's ack: {"envelope_id": ...} and, for an answer in the ack, "payload"."""
        with self._seen:
            if not self._seen.wait_for(lambda: envelope_id in self.acks, timeout):
                return None
            return self.acks[envelope_id]


def hello_message(connections: int, app_id: str) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {
            "host": "local-workspace",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": app_id},
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


def _title(type: str, payload: dict[str, Any]) -> str:
    if type == "slash_commands":
        return f"{payload.get('command')} {payload.get('text', '')}".strip()
    if type == "events_api":
        return str(payload.get("event", {}).get("type", "event"))
    actions = payload.get("actions") or [{}]
    return f"{payload.get('type')} {actions[0].get('action_id', '')}".strip()
