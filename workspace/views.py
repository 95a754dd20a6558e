"""The page's endpoints: module-level functions that read the site (its workspace, templates and
the app's controls) from `request.app.state`, as Starlette's docs and Datasette's views do.
`site.py` lists them in its route table."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket, WebSocketDisconnect

from progression.wording import short_when, when
from workspace.blockkit import Names, render_message, render_view
from workspace.people_act import ActError
from workspace.socket_mode import NotConnected
from workspace.state import BOT_NAME, TEAM_NAME, Change, Message, Workspace

if TYPE_CHECKING:
    from workspace.site_state import Site

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.svg"
REACTIONS = (("white_check_mark", "✅"), ("+1", "👍"), ("tada", "🎉"), ("eyes", "👀"))
SPOKEN = {"+1": "thumbs up"}  # a reaction's name read aloud, where its words are not enough
DISPLAY_TZ = "America/Chicago"
NOT_JSON = 'The body must be a JSON object, such as {"as": "U0PRIYA", "channel": "C0TEACHERS"}'
NO_CHANNELS = "The workspace has no channels yet: it is starting. Reload in a moment."

Body = dict[str, Any]
Act = Callable[["Site", str, Body], Awaitable[None]]


# --- the pages ------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    ws = _site(request).workspace
    user = _person_of(request, ws)
    _, channels = ws.directory()
    if not channels:
        return HTMLResponse(NO_CHANNELS, status_code=503, headers={"Retry-After": "1"})
    first = next((c for c in channels if c.name == "lincoln-teachers"), channels[0])
    return RedirectResponse(f"/c/{first.id}?as={user}", status_code=303)


async def channel_page(request: Request) -> Response:
    site = _site(request)
    channel_id = request.path_params["channel_id"]
    if channel_id not in site.workspace.channels:
        return HTMLResponse("No such channel", status_code=404)
    user = _person_of(request, site.workspace)
    extra = _messages_context(site.workspace, channel_id, user)
    return _render(
        request, "channel.html", user, pane="channel", usage_hint=site.usage_hint, **extra
    )


async def home_page(request: Request) -> Response:
    ws = _site(request).workspace
    user = _person_of(request, ws)
    return _render(request, "home.html", user, pane="home", **_home_context(ws, user))


async def developer_page(request: Request) -> Response:
    ws = _site(request).workspace
    user = _person_of(request, ws)
    return _render(request, "developer.html", user, pane="developer", log=_log(ws))


async def fragment(request: Request) -> Response:
    """A part of a page, fetched again when the live socket says it changed."""
    ws = _site(request).workspace
    what, user = request.path_params["what"], _person_of(request, ws)
    if what == "messages":
        channel_id = request.query_params.get("channel", "")
        if channel_id not in ws.channels:
            return HTMLResponse("No such channel", status_code=404)
        name, extra = "_messages.html", _messages_context(ws, channel_id, user)
    elif what == "home":
        name, extra = "_home.html", _home_context(ws, user)
    elif what == "status":
        name, extra = "_status.html", {}
    elif what == "log":
        name, extra = "_log.html", {"log": _log(ws)}
    else:
        return HTMLResponse("No such fragment", status_code=404)
    return _render(request, name, user, **extra)


async def uploaded_file(request: Request) -> Response:
    """A file an app uploaded, as its messages show it (`url_private`): 404 for an unknown id
    or one whose bytes never came."""
    found = _site(request).workspace.files.get(request.path_params["file_id"])
    if found is None or found.data is None:
        return HTMLResponse("No such file", status_code=404)
    kind = found.as_slack()["mimetype"] or "application/octet-stream"
    return Response(found.data, media_type=kind, headers={"Cache-Control": "no-cache"})


async def favicon(request: Request) -> Response:
    """Where browsers look for an icon when a page names none: a 404 is a console error."""
    return FileResponse(FAVICON, media_type="image/svg+xml")


# --- what a person does ---------------------------------------------------------------------


async def act(request: Request) -> Response:
    """A person's action from the page: JSON in, 204 or 400/409 with a sentence."""
    what = request.path_params["what"]
    run = ACTS.get(what)
    if run is None:
        return JSONResponse({"error": f"unknown action {what}"}, status_code=404)
    body = await _json_object(request)
    if body is None:
        return JSONResponse({"error": NOT_JSON}, status_code=400)
    try:
        await run(_site(request), str(body.get("as", "")), body)
    except ActError as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    except NotConnected:
        return JSONResponse(
            {"error": "The app is not connected yet: try again in a moment."}, status_code=409
        )
    return Response(status_code=204)


async def _json_object(request: Request) -> Body | None:
    """The request's JSON object ({} for an empty body), or None when it is not one."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:  # not JSON, or not UTF-8
        return None
    return body if isinstance(body, dict) else None


async def _command(site: Site, user: str, body: Body) -> None:
    await site.acts.command(user, str(body.get("channel")), str(body.get("text")))


async def _react(site: Site, user: str, body: Body) -> None:
    where = str(body.get("channel")), str(body.get("ts"))
    await site.acts.react(user, *where, str(body.get("name")))


async def _click(site: Site, user: str, body: Body) -> None:
    action = {k: str(body.get(k, "")) for k in ("action_id", "block_id", "value", "text")}
    channel_id, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
    await site.acts.click(user, action, channel_id=channel_id, ts=ts)


async def _open_home(site: Site, user: str, body: Body) -> None:
    await site.acts.open_home(user)


async def _uninstall(site: Site, user: str, body: Body) -> None:
    await site.acts.uninstall()


async def _jump(site: Site, user: str, body: Body) -> None:
    await _controls(site, site.controls.jump_to_next_nudge, "Jumping…")


async def _jump_to_digest(site: Site, user: str, body: Body) -> None:
    await _controls(site, site.controls.jump_to_next_digest, "Jumping…")


async def _start_over(site: Site, user: str, body: Body) -> None:
    await _controls(site, site.controls.start_over, "Starting over…")


ACTS: dict[str, Act] = {
    "command": _command,
    "react": _react,
    "click": _click,
    "open-home": _open_home,
    "uninstall": _uninstall,
    "jump": _jump,
    "jump-digest": _jump_to_digest,
    "start-over": _start_over,
}


async def _controls(site: Site, work: Callable[[], object], busy: str) -> None:
    """Jumps and start-overs wait on the app, so they run off the event loop."""
    site.busy = busy
    site.workspace.announce(kind="clock")
    try:
        await run_in_threadpool(work)
    finally:
        site.busy = ""
        site.workspace.announce(kind="clock")


# --- live updates ---------------------------------------------------------------------------


async def live(websocket: WebSocket) -> None:
    """Tells the page what changed; the page fetches the fragments it shows."""
    ws = _site(websocket).workspace
    await websocket.accept()
    loop = asyncio.get_running_loop()
    changes: asyncio.Queue[Change] = asyncio.Queue()
    stop = ws.listen(lambda change: loop.call_soon_threadsafe(changes.put_nowait, change))
    receiving = asyncio.ensure_future(websocket.receive_text())
    try:
        while True:
            getting = asyncio.ensure_future(changes.get())
            done, _ = await asyncio.wait({getting, receiving}, return_when=asyncio.FIRST_COMPLETED)
            if receiving in done:
                getting.cancel()
                break
            await websocket.send_text(json.dumps(getting.result()))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        stop()
        receiving.cancel()


# --- what the templates are given -----------------------------------------------------------


def _site(connection: Request | WebSocket) -> Site:
    site: Site = connection.app.state.site
    return site


def _render(request: Request, name: str, user: str, **extra: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, _context(_site(request), user, **extra))


def _person_of(request: Request, ws: Workspace) -> str:
    wanted = request.query_params.get("as", "")
    people, _ = ws.directory()
    if any(p.id == wanted for p in people):
        return wanted
    return people[0].id if people else ""


def _context(site: Site, user: str, **extra: Any) -> dict[str, Any]:
    people, channels = site.workspace.directory()
    return {
        "team_name": TEAM_NAME,
        "bot_name": BOT_NAME,
        "me": next((p for p in people if p.id == user), None),
        "people": people,
        "channels": channels,
        "status": _status(site),
        **extra,
    }


def _status(site: Site) -> dict[str, Any]:
    at, digest = site.controls.next_nudge(), site.controls.next_digest()
    now = site.workspace.clock().astimezone(ZoneInfo(DISPLAY_TZ))
    return {
        "connected": site.socket_mode.connected,
        "busy": site.busy,
        "now": when(now),
        "next": when(at) if at else "",
        "digest": when(digest) if digest else "",
    }


def _names(ws: Workspace) -> Names:
    return Names(
        # list() copies in one step: the loop's Web API calls add direct-message channels.
        users={p.id: p.name for p in list(ws.people.values())},
        channels={c.id: c.name for c in list(ws.channels.values())},
    )


def _messages_context(ws: Workspace, channel_id: str, user: str) -> dict[str, Any]:
    """The channel's messages in order, each thread's replies under the message they answer
    (as Slack keeps them out of the channel itself); a reply whose message is gone stays in
    the channel, marked as a reply."""
    names = _names(ws)
    visible = ws.visible(channel_id, user)
    shown: list[dict[str, Any]] = []
    threads: dict[str, list[dict[str, Any]]] = {}
    parents = {m.ts for m in visible if not _is_reply(m)}
    for message in visible:
        item = {
            "message": message,
            "author": _author(ws, message),
            "time": _time_of(message.ts),
            "body": render_message(_as_payload(message), names),
            "files": [_file_shown(ws, f) for f in message.files],
            "reactions": _reactions(message, user),
            "is_reply": _is_reply(message),
            "replies": threads.setdefault(message.ts, []),
        }
        if item["is_reply"] and message.thread_ts in parents:
            threads.setdefault(message.thread_ts, []).append(item)
        else:
            shown.append(item)
    return {"messages": shown, "channel": ws.channels[channel_id], "me_id": user}


def _is_reply(message: Message) -> bool:
    return bool(message.thread_ts) and message.thread_ts != message.ts


def _file_shown(ws: Workspace, listed: dict[str, Any]) -> dict[str, Any]:
    """A shared file as the page shows it: an image with its size when it is one we hold."""
    file_id = str(listed.get("id", ""))
    stored = ws.files.get(file_id)
    size = png_size(stored.data) if stored is not None and stored.data else None
    return {
        "id": file_id,
        "title": str(listed.get("title") or listed.get("name") or "a file"),
        "alt": str(listed.get("alt_txt") or ""),
        "width": size[0] if size else None,
        "height": size[1] if size else None,
        "is_image": str(listed.get("mimetype", "")).startswith("image/"),
    }


def png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its header, so the page keeps the room for the image
    before it loads (and a channel scrolled to its newest message stays there)."""
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _home_context(ws: Workspace, user: str) -> dict[str, Any]:
    view = ws.home_views.get(user)
    direct = ws.direct_channel(user)
    return {
        "home": render_view(view, _names(ws)) if view else None,
        "direct": _messages_context(ws, direct.id, user),
    }


def _author(ws: Workspace, message: Message) -> str:
    if message.user == "USLACKBOT":
        return "Slackbot"
    person = ws.people.get(message.user)
    return person.name if person else message.user


def _time_of(ts: str) -> dict[str, str]:
    """A message's time for people (the page's zone) and in ISO for the `<time>` element."""
    try:
        moment = datetime.fromtimestamp(float(ts), ZoneInfo(DISPLAY_TZ))
    except ValueError:
        return {"shown": "", "iso": ""}
    return {"shown": short_when(moment), "iso": moment.isoformat(timespec="seconds")}


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
                "spoken": SPOKEN.get(name, name.replace("_", " ")),
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
            "at": _logged_at(entry.at),
        }
        for entry in ws.entries()
    ]


def _logged_at(at: str) -> dict[str, str]:
    """When a call was made, for people (the page's zone), and as recorded (ISO)."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return {"shown": at, "iso": at}
    if moment.tzinfo is None:
        return {"shown": at, "iso": at}
    return {"shown": short_when(moment.astimezone(ZoneInfo(DISPLAY_TZ))), "iso": at}
