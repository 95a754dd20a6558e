"""Slack's side of the workspace over HTTP: the Web API at /api/, response_urls, Socket Mode at
/link/. The answers come from `WebAPI`; this sends them as Slack would, late, held or not at all
when its faults say so."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from workspace.faults import HOLD_LIMIT, Faults, Reply
from workspace.socket_mode import SocketMode
from workspace.web_api import WebAPI, decode_arguments

HOLD_POLL = 0.005  # how often a held answer looks whether it was released
HangUp = Callable[[tuple[str, int] | None], None]  # closes a client's connection, unanswered


def slack_routes(
    web_api: WebAPI, socket_mode: SocketMode, hang_up: HangUp | None = None
) -> list[BaseRoute]:
    """Slack's side: the Web API at /api/, response_urls, and Socket Mode at /link/."""

    async def method(request: Request) -> Response:
        params = decode_arguments(
            await request.body(), request.headers.get("content-type", ""), request.url.query
        )
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        token = token or params.pop("token", None)
        params.pop("token", None)
        if auth.startswith("Basic "):  # oauth.v2.access: the app's client id and secret
            params.update(_client_credentials(auth))
        name = request.path_params["method"]
        reply = web_api.handle(name, params, token)
        if name == "files.getUploadURLExternal" and isinstance(reply.payload, dict):
            path = reply.payload.get("upload_url")
            if isinstance(path, str) and path.startswith("/"):
                # On this server's own address, as Slack's point at files.slack.com.
                reply.payload["upload_url"] = str(request.base_url).rstrip("/") + path
        return await _send(request, reply, web_api.faults, hang_up)

    async def upload(request: Request) -> Response:
        # Step two of Slack's file upload: the bytes, in the body of a POST.
        if web_api.workspace.receive_file(request.path_params["file_id"], await request.body()):
            return PlainTextResponse(f"OK - {request.headers.get('content-length', '')}")
        return PlainTextResponse("not found or wrong length", status_code=404)

    async def response_url(request: Request) -> Response:
        body = decode_arguments(
            await request.body(), request.headers.get("content-type", ""), request.url.query
        )
        reply = web_api.handle_response(request.path_params["key"], body)
        return await _send(request, reply, web_api.faults, hang_up)

    return [
        Route("/api/{method}", method, methods=["GET", "POST"]),
        Route("/response/{key}", response_url, methods=["POST"]),
        Route("/upload/{file_id}", upload, methods=["POST"]),
        WebSocketRoute("/link/", socket_mode.serve),
    ]


def _client_credentials(auth: str) -> dict[str, str]:
    try:
        decoded = base64.b64decode(auth.removeprefix("Basic ").strip()).decode()
    except ValueError:
        return {}
    client_id, _, secret = decoded.partition(":")
    return {"client_id": client_id, "client_secret": secret}


async def _send(request: Request, reply: Reply, faults: Faults, hang_up: HangUp | None) -> Response:
    """The reply as Slack would send it: late, held, or not at all, when asked."""
    if reply.delay:
        await asyncio.sleep(reply.delay)  # Slack being slow to answer; the call has arrived
    deadline = time.monotonic() + HOLD_LIMIT
    while faults.holding and time.monotonic() < deadline:
        await asyncio.sleep(HOLD_POLL)  # bounded, so a test that forgets to release ends
    if reply.drop:
        if hang_up is None:  # a server that cannot hang up: the nearest thing, a bad gateway
            return Response(status_code=502)
        hang_up(request.client and (request.client.host, request.client.port))
        for _ in range(3):
            await asyncio.sleep(0)  # the transport closing: the server sees the client gone
        return Response(status_code=204)
    if isinstance(reply.payload, str):
        return PlainTextResponse(reply.payload, status_code=reply.status, headers=reply.headers)
    return SlackJSONResponse(reply.payload, status_code=reply.status, headers=reply.headers)


class SlackJSONResponse(JSONResponse):
    media_type = "application/json; charset=utf-8"  # Slack's spelling, which slack_sdk reads

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
