"""Socket Mode: the app's WebSocket. `hello` on connect, envelopes out, acks back."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from workspace.state import APP_ID, Workspace

ACK_TIMEOUT = 3.0  # Slack waits three seconds for an ack


class NotConnected(Exception):
    """The app has no open Socket Mode connection."""


class AckTimeout(Exception):
    """The app did not ack an envelope within Slack's three seconds."""


class SocketMode:
    """The app's connections (one event loop's), and the envelopes waiting for their ack."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._connections: list[WebSocket] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}

    @property
    def connected(self) -> bool:
        return bool(self._connections)

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(json.dumps(hello_message(len(self._connections) + 1)))
        self._connections.append(websocket)
        self.workspace.announce(kind="app")
        try:
            while True:
                data = json.loads(await websocket.receive_text())
                waiting = self._acks.pop(str(data.get("envelope_id", "")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(data)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self._connections.remove(websocket)
            self.workspace.announce(kind="app")

    async def send(
        self, type: str, payload: dict[str, Any], timeout: float = ACK_TIMEOUT
    ) -> dict[str, Any]:
        """Send an envelope to the app and return its ack."""
        if not self._connections:
            raise NotConnected("the app is not connected")
        message = envelope(type, payload)
        envelope_id = str(message["envelope_id"])
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiting
        await self._connections[-1].send_text(json.dumps(message))
        try:
            ack = await asyncio.wait_for(waiting, timeout)
        except TimeoutError:
            self._acks.pop(envelope_id, None)
            self.workspace.record("envelope", _title(type, payload), message, "no ack in time")
            raise AckTimeout(f"no ack for {envelope_id}") from None
        self.workspace.record("envelope", _title(type, payload), message, ack)
        return ack

    async def close_all(self) -> None:
        for connection in list(self._connections):
            await connection.close(1001)


def hello_message(connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {"host": "local-workspace", "build_number": 1},
        "connection_info": {"app_id": APP_ID},
    }


def envelope(type: str, payload: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"envelope_id": str(uuid.uuid4()), "payload": payload, "type": type}
    if type == "events_api":
        message.update(accepts_response_payload=False, retry_attempt=0, retry_reason="")
    else:
        message["accepts_response_payload"] = type == "slash_commands"
    return message


def _title(type: str, payload: dict[str, Any]) -> str:
    if type == "slash_commands":
        return f"{payload.get('command')} {payload.get('text', '')}".strip()
    if type == "events_api":
        return str(payload.get("event", {}).get("type", "event"))
    actions = payload.get("actions") or [{}]
    return f"{payload.get('type')} {actions[0].get('action_id', '')}".strip()
