"""The workspace over HTTP and WebSockets: Slack's Web API at /api/, response_urls, Socket Mode
at /link/, and the page. A route table over the endpoints in `views.py`, which read the `Site`
from `request.app.state`; the work is in the plain classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import yaml
from starlette.applications import Starlette
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from workspace import views
from workspace.people_act import Acts
from workspace.slack_http import HangUp, slack_routes
from workspace.socket_mode import SocketMode
from workspace.state import Workspace
from workspace.web_api import WebAPI

HERE = Path(__file__).resolve().parent


class Controls(Protocol):
    """What the page's buttons ask of whoever runs the app beside the workspace."""

    def next_nudge(self) -> datetime | None: ...
    def jump_to_next_nudge(self) -> datetime | None: ...
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


def usage_hint(manifest: Path) -> str:
    """The slash command's usage hint, from app_manifest.yml (empty when not found)."""
    try:
        data = yaml.safe_load(manifest.read_text())
        return str(data["features"]["slash_commands"][0].get("usage_hint", ""))
    except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError):
        return "help"  # installed without the manifest beside it


def create_site(site: Site) -> Starlette:
    routes = [
        Route("/", views.index),
        Route("/c/{channel_id}", views.channel_page),
        Route("/home", views.home_page),
        Route("/developer", views.developer_page),
        Route("/fragment/{what}", views.fragment),
        Route("/favicon.ico", views.favicon),
        Route("/act/{what}", views.act, methods=["POST"]),
        *slack_routes(site.web_api, site.socket_mode, site.hang_up),
        WebSocketRoute("/live", views.live),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.site = site
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app
