"""Signed requests that are not what Slack sends: refused in kind (400), never a 500, never a
traceback; requests no listener takes are acked with nothing of their body in the log."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.bot.nudges import add_nudge, let_in
from tests.bot.test_after_ack_failures import log_since
from tests.bot.test_request_hygiene import FORM, HOME, _form, _signed_headers
from tests.conftest import RunningApp
from tests.slack.signing import (
    SlackSender,
    block_actions_body,
    event_callback,
    reaction_event,
    slash_command_body,
)
from tests.slack.web_api import SlackWebAPI

JSON = "application/json"
Path = tuple[str | int, ...]

# Wrong JSON types for a field Slack sends as a string, or as an id-or-object.
NOT_A_STRING: list[Any] = [5, [1, 2], {"id": 5}, True]
# Wrong JSON types for a field Slack sends as an object (or a list of objects).
NOT_AN_OBJECT: list[Any] = [5, "text", [1]]


def _event() -> dict[str, Any]:
    react = reaction_event("reaction_added", user="UFUZZ", reaction="x", channel="C1", ts="1.2")
    return event_callback(react)


def _action() -> dict[str, Any]:
    body = block_actions_body("home_mark_done", "C1|1.2", user_id="UFUZZ", view=HOME)
    payload: dict[str, Any] = json.loads(body["payload"])
    return payload


def _command() -> dict[str, Any]:
    return dict(slash_command_body("phase 3", user_id="UFUZZ"))


def _encode(kind: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    if kind == "action":
        return _form({"payload": json.dumps(payload)}), FORM
    return json.dumps(payload).encode(), JSON  # a command as JSON: Bolt parses it all the same


# The fields Bolt's context-building and listener matching read (and the listeners after).
STRING_FIELDS: dict[str, list[Path]] = {
    "event": [
        ("team_id",),
        ("api_app_id",),
        ("enterprise_id",),
        ("event", "type"),
        ("event", "user"),
        ("event", "channel"),
        ("event", "thread_ts"),
        ("event", "item", "channel"),
        ("event", "item", "ts"),
        ("event", "event_ts"),
        ("authorizations", 0, "team_id"),
        ("authorizations", 0, "user_id"),
        ("authorizations", 0, "enterprise_id"),
    ],
    "action": [
        ("team",),
        ("team", "id"),
        ("user",),
        ("user", "id"),
        ("user", "team_id"),
        ("enterprise",),
        ("api_app_id",),
        ("actions", 0, "action_id"),
        ("actions", 0, "block_id"),
        ("actions", 0, "value"),
        ("view", "id"),
        ("container", "type"),
    ],
    "command": [
        ("team_id",),
        ("user_id",),
        ("channel_id",),
        ("enterprise_id",),
        ("api_app_id",),
        ("command",),
        ("text",),
        ("response_url",),
    ],
}
OBJECT_FIELDS: dict[str, list[Path]] = {
    "event": [("event",), ("event", "item"), ("authorizations",), ("authorizations", 0)],
    "action": [("actions",), ("actions", 0), ("view",), ("container",), ("message",)],
    "command": [("response_urls",)],
}
BASES = {"event": _event, "action": _action, "command": _command}


def _with(payload: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    node: Any = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


def _malformed() -> list[tuple[str, Path, Any]]:
    cases = [
        (kind, path, value)
        for table, values in ((STRING_FIELDS, NOT_A_STRING), (OBJECT_FIELDS, NOT_AN_OBJECT))
        for kind, paths in table.items()
        for path in paths
        for value in values
    ]
    return [*cases, ("action", ("actions",), [])]


def test_well_shaped_bases_are_taken(slack: SlackSender) -> None:
    # The table below changes one field of these; unchanged, each is a request Slack sends.
    for kind, base in BASES.items():
        body, content_type = _encode(kind, base())
        assert slack.raw(body, _signed_headers(body, content_type)).status == 200, kind


def test_a_signed_body_with_a_wrong_type_where_bolt_reads_is_400(
    slack: SlackSender, http_app: RunningApp
) -> None:
    start = len(http_app.output())
    wrong = []
    for kind, path, value in _malformed():
        body, content_type = _encode(kind, _with(BASES[kind](), path, value))
        status = slack.raw(body, _signed_headers(body, content_type)).status
        if status != 400:
            wrong.append((kind, path, value, status))
    assert wrong == []
    assert "Traceback" not in http_app.output()[start:]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json ; charset=UTF-8",
        "APPLICATION/JSON;charset=utf-8",
    ],
)
@pytest.mark.parametrize("body", [b"[1,2]", b'"text"', b"5", b"{not json"])
def test_json_with_parameters_or_in_capitals_is_parsed_as_json(
    slack: SlackSender, http_app: RunningApp, content_type: str, body: bytes
) -> None:
    start = len(http_app.output())
    assert slack.raw(body, _signed_headers(body, content_type)).status == 400
    assert "Traceback" not in http_app.output()[start:]


def test_json_nested_thousands_deep_is_400(slack: SlackSender, http_app: RunningApp) -> None:
    start = len(http_app.output())
    for body in (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b'{"event":' * 500 + b"{}" + b"}" * 500):
        assert slack.raw(body, _signed_headers(body, JSON)).status == 400
    assert "Traceback" not in http_app.output()[start:]


def test_a_request_no_listener_takes_is_acked_and_none_of_its_body_is_logged(
    slack: SlackSender, http_app: RunningApp
) -> None:
    start = len(http_app.output())
    marker = "UNHANDLED-MARKER-5c1d"
    assert slack.action(marker, f"{marker}-value", user_id="UQUIET").status == 200
    unknown_event = {"type": f"{marker}_event", "user": "UQUIET", "text": marker}
    assert slack.event(unknown_event).status == 200
    assert slack.command(marker, command=f"/{marker}", user_id="UQUIET").status == 200
    view = _form(
        {
            "payload": json.dumps(
                {
                    "type": "view_submission",
                    "team": {"id": "T0001"},
                    "user": {"id": "UQUIET", "team_id": "T0001"},
                    "view": {"id": "V1", "callback_id": marker, "type": "modal"},
                }
            )
        }
    )
    assert slack.raw(view, _signed_headers(view)).status == 200
    logged = log_since(http_app, start, "a view submission")
    for kind in ("a button or menu", "an event", "a slash command"):
        assert f"Acked a request no listener takes: {kind}" in logged
    assert marker not in logged


def test_a_tampered_home_button_for_a_channel_that_is_no_role_channel_says_so(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp
) -> None:
    mine, other = add_nudge(http_app.db, ref="2.3"), add_nudge(http_app.db, ref="2.4")
    let_in(http_app.db, api, mine, "UTAMPER")
    start = len(http_app.output())
    press = {"user_id": "UTAMPER", "view": HOME}
    assert slack.action("home_mark_done", "CGENERAL|1700000000.000001", **press).status == 200
    logged = log_since(http_app, start, "'CGENERAL'")
    assert "for 'CGENERAL': not a role channel" in logged
    assert slack.action("home_mark_done", f"{other.channel}|{other.ts}", **press).status == 200
    logged = log_since(http_app, start, repr(other.channel))
    assert f"for {other.channel!r}: not a member" in logged
