"""The workspace over HTTP and WebSockets: Slack's Web API at /api/, response_urls, Socket Mode
at /link/, and the page. Views are small functions; the work is in the plain classes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import yaml
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket, WebSocketDisconnect

from workspace.blockkit import Names, render_message, render_view
from workspace.people_act import ActError, Acts
from workspace.slack_http import HangUp, slack_routes
from workspace.socket_mode import NotConnected, SocketMode
from workspace.state import BOT_NAME, TEAM_NAME, Change, Message, Workspace
from workspace.web_api import WebAPI

HERE = Path(__file__).resolve().parent
REACTIONS = (("white_check_mark", "✅"), ("+1", "👍"), ("tada", "🎉"), ("eyes", "👀"))
DISPLAY_TZ = "America/Chicago"


class Controls(Protocol):
    """What the page's buttons ask of whoever runs the app beside the workspace."""

    def next_nudge(self) -> datetime | None: ...
    def jump_to_next_nudge(self) -> datetime | None: ...
    def start_over(self) -> None: ...


@dataclass
class Site:
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
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    ws = site.workspace

    def names() -> Names:
        return Names(
            users={p.id: p.name for p in ws.people.values()},
            channels={c.id: c.name for c in ws.channels.values()},
        )

    def person_of(request: Request) -> str:
        wanted = request.query_params.get("as", "")
        people = [p for p in ws.people.values() if not p.is_bot]
        if wanted in ws.people and not ws.people[wanted].is_bot:
            return wanted
        return people[0].id if people else ""

    def context(request: Request, user: str, **extra: Any) -> dict[str, Any]:
        return {
            "team_name": TEAM_NAME,
            "bot_name": BOT_NAME,
            "me": ws.people.get(user),
            "people": [p for p in ws.people.values() if not p.is_bot],
            "channels": [c for c in ws.channels.values() if not c.is_im],
            "status": status(),
            **extra,
        }

    def status() -> dict[str, Any]:
        at = site.controls.next_nudge()
        now = ws.clock().astimezone(ZoneInfo(DISPLAY_TZ))
        return {
            "connected": site.socket_mode.connected,
            "busy": site.busy,
            "now": f"{now:%A %B} {now.day}, {now:%H:%M}",
            "next": describe_slot(at) if at else "",
            "next_date": f"{at:%B} {at.day}" if at else "",
        }

    def messages_context(channel_id: str, user: str) -> dict[str, Any]:
        the_names = names()
        shown = []
        for message in ws.visible(channel_id, user):
            shown.append(
                {
                    "message": message,
                    "author": _author(ws, message),
                    "time": _time_of(message.ts),
                    "body": render_message(_as_payload(message), the_names),
                    "reactions": _reactions(message, user),
                }
            )
        return {"messages": shown, "channel": ws.channels[channel_id], "me_id": user}

    def home_context(user: str) -> dict[str, Any]:
        view = ws.home_views.get(user)
        direct = ws.direct_channel(user)
        return {
            "home": render_view(view, names()) if view else None,
            "direct": messages_context(direct.id, user),
        }

    async def index(request: Request) -> Response:
        user = person_of(request)
        channels = [c for c in ws.channels.values() if not c.is_im]
        first = next((c for c in channels if c.name == "lincoln-teachers"), None) or channels[0]
        return RedirectResponse(f"/c/{first.id}?as={user}", status_code=303)

    async def channel_page(request: Request) -> Response:
        channel_id = request.path_params["channel_id"]
        if channel_id not in ws.channels:
            return HTMLResponse("No such channel", status_code=404)
        user = person_of(request)
        extra = messages_context(channel_id, user)
        return templates.TemplateResponse(
            request,
            "channel.html",
            context(request, user, pane="channel", usage_hint=site.usage_hint, **extra),
        )

    async def home_page(request: Request) -> Response:
        user = person_of(request)
        return templates.TemplateResponse(
            request, "home.html", context(request, user, pane="home", **home_context(user))
        )

    async def developer_page(request: Request) -> Response:
        user = person_of(request)
        return templates.TemplateResponse(
            request, "developer.html", context(request, user, pane="developer", log=_log(ws))
        )

    async def fragment(request: Request) -> Response:
        what, user = request.path_params["what"], person_of(request)
        if what == "messages":
            channel_id = request.query_params.get("channel", "")
            if channel_id not in ws.channels:
                return HTMLResponse("No such channel", status_code=404)
            name, extra = "_messages.html", messages_context(channel_id, user)
        elif what == "home":
            name, extra = "_home.html", home_context(user)
        elif what == "status":
            name, extra = "_status.html", {}
        elif what == "log":
            name, extra = "_log.html", {"log": _log(ws)}
        else:
            return HTMLResponse("No such fragment", status_code=404)
        return templates.TemplateResponse(request, name, context(request, user, **extra))

    async def act(request: Request) -> Response:
        """A person's action from the page: JSON in, 204 or 400/409 with a sentence."""
        what = request.path_params["what"]
        body = await request.json() if await request.body() else {}
        user = str(body.get("as", ""))
        acts = site.acts
        runs: dict[str, Callable[[], Awaitable[object]]] = {
            "command": lambda: acts.command(user, str(body.get("channel")), str(body.get("text"))),
            "react": lambda: acts.react(
                user, str(body.get("channel")), str(body.get("ts")), str(body.get("name"))
            ),
            "click": lambda: acts.click(
                user,
                {k: str(body.get(k, "")) for k in ("action_id", "block_id", "value", "text")},
                channel_id=str(body.get("channel") or ""),
                ts=str(body.get("ts") or ""),
            ),
            "open-home": lambda: acts.open_home(user),
            "jump": lambda: _controls(site, site.controls.jump_to_next_nudge, "Jumping…"),
            "start-over": lambda: _controls(site, site.controls.start_over, "Starting over…"),
        }
        run = runs.get(what)
        if run is None:
            return JSONResponse({"error": f"unknown action {what}"}, status_code=404)
        try:
            await run()
        except ActError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        except NotConnected:
            return JSONResponse(
                {"error": "The app is not connected yet: try again in a moment."},
                status_code=409,
            )
        return Response(status_code=204)

    async def live(websocket: WebSocket) -> None:
        """Tells the page what changed; the page fetches the fragments it shows."""
        await websocket.accept()
        loop = asyncio.get_running_loop()
        changes: asyncio.Queue[Change] = asyncio.Queue()
        stop = ws.listen(lambda change: loop.call_soon_threadsafe(changes.put_nowait, change))
        receiving = asyncio.ensure_future(websocket.receive_text())
        try:
            while True:
                getting = asyncio.ensure_future(changes.get())
                done, _ = await asyncio.wait(
                    {getting, receiving}, return_when=asyncio.FIRST_COMPLETED
                )
                if receiving in done:
                    getting.cancel()
                    break
                await websocket.send_text(json.dumps(getting.result()))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            stop()
            receiving.cancel()

    routes = [
        Route("/", index),
        Route("/c/{channel_id}", channel_page),
        Route("/home", home_page),
        Route("/developer", developer_page),
        Route("/fragment/{what}", fragment),
        Route("/act/{what}", act, methods=["POST"]),
        *slack_routes(site.web_api, site.socket_mode, site.hang_up),
        WebSocketRoute("/live", live),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(routes=routes)


async def _controls(site: Site, work: Callable[[], object], busy: str) -> None:
    """Jumps and start-overs wait on the app, so they run off the event loop."""
    site.busy = busy
    site.workspace.announce(kind="clock")
    try:
        await run_in_threadpool(work)
    finally:
        site.busy = ""
        site.workspace.announce(kind="clock")


def describe_slot(at: datetime) -> str:
    """ "Monday 8:00, America/Chicago" """
    zone = getattr(at.tzinfo, "key", None) or str(at.tzinfo)
    return f"{at:%A} {at.hour}:{at:%M}, {zone}"


def _author(ws: Workspace, message: Message) -> str:
    if message.user == "USLACKBOT":
        return "Slackbot"
    person = ws.people.get(message.user)
    return person.name if person else message.user


def _time_of(ts: str) -> str:
    try:
        moment = datetime.fromtimestamp(float(ts), ZoneInfo(DISPLAY_TZ))
    except ValueError:
        return ""
    return f"{moment:%a %b} {moment.day}, {moment.hour % 12 or 12}:{moment:%M %p}"


def _as_payload(message: Message) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.blocks, "attachments": message.attachments}


def _reactions(message: Message, user: str) -> list[dict[str, Any]]:
    if message.ephemeral_for:
        return []
    shown = []
    known = dict(REACTIONS)
    names = [n for n, _ in REACTIONS] + [n for n in message.reactions if n not in known]
    for name in names:
        users = message.reactions.get(name, [])
        shown.append(
            {
                "name": name,
                "glyph": known.get(name, f":{name}:"),
                "count": len(users),
                "mine": user in users,
            }
        )
    return shown


def _log(ws: Workspace) -> list[dict[str, Any]]:
    return [
        {
            "entry": entry,
            "request": json.dumps(entry.request, indent=2, ensure_ascii=False, default=str),
            "answer": json.dumps(entry.answer, indent=2, ensure_ascii=False, default=str),
            "failed": isinstance(entry.answer, dict) and entry.answer.get("ok") is False,
        }
        for entry in reversed(ws.log)
    ]
