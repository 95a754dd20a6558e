"""The workspace over HTTP and WebSockets: Slack's Web API at /api/, response_urls, Socket Mode
at /link/, and the page. A route table over the endpoints in `views.py`, which read the `Site`
from `request.app.state`; the work is in the plain classes."""

from __future__ import annotations

from pathlib import Path

import yaml
from starlette.applications import Starlette
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from workspace import views
from workspace.site_state import Site
from workspace.slack_http import slack_routes

HERE = Path(__file__).resolve().parent


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
        Route("/files/{file_id}", views.uploaded_file),
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
