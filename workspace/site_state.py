"""What the local workspace's page reads, built once by `running.py` and kept on the Starlette
app's state: the workspace, Slack's side of it, and the controls of the app beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workspace.people_act import Acts
from workspace.slack_http import HangUp
from workspace.socket_mode import SocketMode
from workspace.state import Workspace
from workspace.web_api import WebAPI


class Controls(Protocol):
    """What the page's buttons ask of whoever runs the app beside the workspace."""

    def next_nudge(self) -> datetime | None: ...
    def next_digest(self) -> datetime | None: ...
    def jump_to_next_nudge(self) -> datetime | None: ...
    def jump_to_next_digest(self) -> datetime | None: ...
    def start_over(self) -> None: ...


@dataclass
class Site:
    """What the page's views read: the workspace, Slack's side of it, and the app's controls."""

    workspace: Workspace
    web_api: WebAPI
    socket_mode: SocketMode
    acts: Acts
    controls: Controls
    usage_hint: str
    busy: str = ""  # "Starting over…" while the controls work
    hang_up: HangUp | None = None  # how to drop a connection (a fault the Web API may inject)
