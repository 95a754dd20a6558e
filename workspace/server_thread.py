"""The workspace's server in a thread of its own: uvicorn on a socket bound here, with its own
event loop, for `progression-bot try` and for tests (port 0: a free one)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Coroutine
from typing import Any

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT = 15.0


class ServerThread:
    """`ServerThread(app, listening).start()`, then `stop()`; `port` is where it listens."""

    def __init__(self, app: ASGIApp, listening: socket.socket, name: str = "workspace") -> None:
        config = uvicorn.Config(
            app,
            log_level="warning",
            ws_ping_interval=None,  # the app's Socket Mode client pings; uvicorn answers
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=3,  # a connection that never closes does not hold us
        )
        self.server = uvicorn.Server(config)
        self.listening = listening
        self.port = int(listening.getsockname()[1])  # still known once the socket is closed
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def _serve(self) -> None:
        try:
            self.loop.run_until_complete(self.server.serve(sockets=[self.listening]))
        finally:
            self.loop.close()

    def start(self) -> bool:
        """Whether the server started listening within START_TIMEOUT."""
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                return False
            time.sleep(0.01)  # the server thread starting to serve
        return True

    def stop(self, timeout: float = 10) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=timeout)
        elif not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()  # never started
        self.listening.close()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def run(self, work: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine on the server's event loop from another thread."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def hang_up(self, client: tuple[str, int] | None) -> None:
        """Close the connection of this client (its address) without answering: Slack's
        connection dropping mid-request. Called on the server's loop."""
        for connection in list(self.server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if client is not None and getattr(connection, "client", None) == tuple(client):
                if transport is not None:
                    transport.close()


async def ping(server: uvicorn.Server, client: tuple[str, int], timeout: float) -> float | None:
    """Ping a WebSocket client (its address) once; seconds until its pong, None without one.

    ASGI has no ping, so this asks uvicorn's websockets-sansio connection, the one it picks
    with websockets installed, through the attributes its own keepalive uses."""
    loop = asyncio.get_running_loop()
    found: Any
    for found in list(server.server_state.connections):
        conn: Any = getattr(found, "conn", None)
        if getattr(found, "client", None) != client or not hasattr(conn, "send_ping"):
            continue
        payload = uuid.uuid4().bytes[:4]
        found.pending_ping_payload, found.ping_sent_at = payload, loop.time()
        conn.send_ping(payload)
        found.transport.write(b"".join(conn.data_to_send()))
        deadline = loop.time() + timeout
        while found.pending_ping_payload is not None:
            if loop.time() > deadline:
                return None
            await asyncio.sleep(0.005)  # the pong arriving on this same loop
        return float(found.last_ping_rtt)
    return None


def listen(host: str, port: int) -> socket.socket:
    """A listening socket; OSError when the port is taken or the host unknown."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio turns Nagle off only on sockets that say they are TCP,
    # and Nagle with delayed acks makes every keep-alive call wait 40 ms.
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(1024)  # fan-outs open many connections at once
    except OSError:
        listening.close()
        raise
    return listening
