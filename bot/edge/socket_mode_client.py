"""Socket Mode: the app's connection to Slack over its WebSocket (apps.connections.open)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

logger = logging.getLogger("progression_bot")


def connect_socket_mode(app: App, app_token: str) -> SocketModeHandler:
    """Connect through apps.connections.open; the handler serves until closed."""
    handler = SocketModeHandler(app, app_token=app_token, web_client=app.client)
    handler.connect()
    return handler


def serve_socket_mode(app: App, app_token: str) -> None:
    """Connect through apps.connections.open and serve until SIGTERM or SIGINT."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    handler = connect_socket_mode(app, app_token)
    logger.info("Connected to Slack in Socket Mode")
    stop.wait()
    handler.close()
    logger.info("Socket Mode connection closed")
