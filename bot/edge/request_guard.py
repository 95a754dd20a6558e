"""The door of /slack/events: what is refused before Bolt sees a request.

In this order, so that an unsigned request costs nothing: a body over the limit is refused
unread (413); signature headers that are missing or malformed, or a timestamp outside Slack's 5
minutes, are refused unread (401); the signature is checked by slack_sdk's `SignatureVerifier`
on the app's clock (401); only then is the body parsed (400 when it is not what Slack sends, or
not shaped as Slack shapes it: bot/edge/payloads.py). Bolt does not check the signature again
(`create_app(..., behind_guard=True)`). No body is ever logged. (Replays are the listeners' to
refuse, where a request would act: bot/slack/replays.py.)

A body that is not UTF-8 is refused (400) before its signature is checked: Slack never sends
one, and `SignatureVerifier` reads the body as text, so it cannot check one.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.signature import Clock, SignatureVerifier

from bot.edge.payloads import is_slack_shaped

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

logger = logging.getLogger("progression_bot.requests")

# Slack's largest payloads (a view submission with big state) are far below this.
MAX_BODY_BYTES = 1024 * 1024
# Slack refuses a signature older than 5 minutes; so does the app, either way.
MAX_SKEW_SECONDS = 5 * 60
_TIMESTAMP = re.compile(r"[0-9]{1,11}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Refused(Exception):
    status: int  # 400, 401, 413
    reason: str  # ours, never a value from the request


@dataclass(frozen=True)
class Admitted:
    body: bytes
    # The media type as Bolt compares it (exactly "application/json" for JSON): Bolt parses
    # the body again, and must parse it as it was checked here.
    content_type: str
    # What the body is, for the metrics and the log (never a value from it but the team id):
    # "command", "event", "action", "other"; and the payload's `type` when it is one the edge
    # answers itself ("app_rate_limited").
    kind: str = "other"
    workspace: str | None = None
    payload_type: str = ""


# Payload types that are a person's interaction with the app.
_ACTIONS = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
    }
)
_TEAM_ID = re.compile(r"[A-Z0-9]{1,32}")


def request_kind(body: dict[str, Any]) -> str:
    """command, event, action or other (a URL check, Slack's notices)."""
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event"
    return "action" if kind in _ACTIONS else "other"


def request_workspace(body: dict[str, Any]) -> str | None:
    """The team id a payload comes from, when it is shaped like one."""
    team = body.get("team_id")
    if not isinstance(team, str):
        for holder in ("team", "user"):
            found = body.get(holder)
            if isinstance(found, dict):
                team = found.get("id") if holder == "team" else found.get("team_id")
                if isinstance(team, str):
                    break
    return team if isinstance(team, str) and _TEAM_ID.fullmatch(team) else None


class AppClock(Clock):
    """The app's clock (aware datetimes) as slack_sdk's verifier reads time: Unix seconds."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now().timestamp()


class RequestGuard:
    """`admit(environ)` returns the body to hand to Bolt, or raises `Refused`."""

    def __init__(
        self, signing_secret: str, clock: Clock | None = None, max_body: int = MAX_BODY_BYTES
    ) -> None:
        self._clock = clock or Clock()
        self._verifier = SignatureVerifier(signing_secret, self._clock)
        self._max_body = max_body

    def admit(self, environ: WSGIEnvironment) -> Admitted:
        length = _content_length(environ, self._max_body)
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE", ""))
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            raise Refused(401, "missing or malformed signature headers")
        # The verifier refuses a stale timestamp too, but only once the body is read.
        if abs(self._clock.now() - int(timestamp)) > MAX_SKEW_SECONDS:
            raise Refused(401, "stale signature timestamp")
        body = _read(environ, length, self._max_body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "not UTF-8, so not a body Slack sends") from None
        if not self._verifier.is_valid(text, timestamp, signature):
            raise Refused(401, "invalid signature")
        content_type = media_type(str(environ.get("CONTENT_TYPE", "")))
        parsed = _parse(text, content_type)
        if not is_slack_shaped(parsed):
            raise Refused(400, "signed, but not shaped as Slack shapes it")
        payload_type = parsed.get("type")
        return Admitted(
            body,
            content_type,
            request_kind(parsed),
            request_workspace(parsed),
            payload_type if isinstance(payload_type, str) else "",
        )


def _content_length(environ: WSGIEnvironment, limit: int) -> int | None:
    declared = str(environ.get("CONTENT_LENGTH") or "")
    if not declared:
        return None  # chunked: read up to the limit
    if not declared.isdigit():
        raise Refused(400, "malformed Content-Length")
    if int(declared) > limit:
        raise Refused(413, "body over the limit")
    return int(declared)


def _read(environ: WSGIEnvironment, length: int | None, limit: int) -> bytes:
    stream = environ["wsgi.input"]
    body: bytes = stream.read(length) if length is not None else stream.read(limit + 1)
    if len(body) > limit:
        raise Refused(413, "body over the limit")
    return body


def media_type(content_type: str) -> str:
    """`Application/JSON; charset=utf-8` is JSON: the type without its parameters, in lower
    case (RFC 9110 §8.3.1)."""
    return content_type.partition(";")[0].strip().lower()


def _parse(text: str, content_type: str) -> dict[str, Any]:
    """Parse as Bolt will (`slack_bolt.request.internals.parse_body`, given `content_type`
    exactly): a JSON object, or a form whose `payload`, if any, is one."""
    try:
        if not text:
            return {}
        if content_type == JSON or text.startswith("{"):
            parsed: object = json.loads(text)
        elif "payload" in text:
            payload = dict(urllib.parse.parse_qsl(text, keep_blank_values=True)).get("payload")
            parsed = {} if payload is None else json.loads(payload)
        else:
            parsed = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    # JSONDecodeError is a ValueError; JSON nested thousands deep exhausts the parser's
    # recursion.
    except (ValueError, RecursionError):
        raise Refused(400, "signed, but not a body Slack sends") from None
    if not isinstance(parsed, dict):
        raise Refused(400, "signed, but not a JSON object")
    return parsed
