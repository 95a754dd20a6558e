"""A local stand-in for Slack's Socket Mode WebSocket server."""

from __future__ import annotations

import itertools
import json
import threading
from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

_ids = itertools.count(1)


class SocketModeServer:
    """Say `hello` to each connection, send envelopes, and collect the app's acks."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._server: Server = serve(self._serve, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"

    def __enter__(self) -> SocketModeServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _serve(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-local", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A0APP"},
                }
            )
        )
        with self._lock:
            self._connections.append(connection)
            self._lock.notify_all()
        try:
            for message in connection:
                data = json.loads(message)
                if "envelope_id" in data:
                    with self._lock:
                        self._acks[data["envelope_id"]] = data
                        self._lock.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.remove(connection)

    def wait_connected(self, timeout: float = 10) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: bool(self._connections), timeout):
                raise AssertionError("the app did not connect")

    def send_envelope(
        self, type: str, payload: dict[str, Any], retry_attempt: int = 0, retry_reason: str = ""
    ) -> str:
        """Send what Slack sends for a slash command, an event or an interaction."""
        envelope_id = f"env-{next(_ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": type in ("slash_commands", "interactive"),
        }
        if type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._lock:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no ack for {envelope_id}")
            return self._acks[envelope_id]
