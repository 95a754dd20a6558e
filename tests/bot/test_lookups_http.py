"""`/progression` lookups through the running app, signed exactly as Slack signs them."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.bot.blockkit import assert_within_block_kit_limits
from tests.conftest import SIGNING_SECRET, RunningApp
from tests.slack.signing import SlackSender, sign, slash_command_body
from tests.slack.web_api import SlackWebAPI

NASTY_INPUTS = [
    "",
    " ",
    "x" * 5000,
    "phase " + "3" * 5000,
    "🍎🍏 phase 🎉",
    "שלב 3 מורה",  # right-to-left text
    "\u202eeshp 3\u202c",
    "phase 9",
    "phase -1",
    "3.13",
    "0.0",
    "3.",
    ".8",
    "*bold* _it_ ~strike~ `code` ```block```",
    "<!channel> <!here> <@U123> <#C123> <https://example.com|x>",
    "'; DROP TABLE checkoffs; --",
    "1 OR 1=1",
    "phase 3 \x00 teacher",
    "search " + "rostering " * 600,
    "search <!everyone>",
    "subscribe",
    "schedule nope",
    "skip yesterday",
    "%s %d {0} {text}",
    "\\n\\t\\\\",
]


def _shown(node: Any) -> list[str]:
    """Every text Slack renders (not button values, which nobody sees)."""
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for k, v in node.items() if k != "value" for t in _shown(v)]
    if isinstance(node, list):
        return [t for item in node for t in _shown(item)]
    return []


def _text_of(reply: dict[str, Any]) -> str:
    return "\n".join(_shown(reply["blocks"])) + "\n" + reply["text"]


def test_phase_3_lists_its_actions_by_role_privately(slack: SlackSender) -> None:
    reply = slack.command("phase 3")
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    text = _text_of(body)
    assert "Engagement in Independent Learning" in text
    assert "During *asynchronous learning* leaders, teachers, and students will:" in text
    for role in ("Systems Level Planning", "Leader", "Teacher", "Student"):
        assert role in text
    assert "Write directions or create video tutorials that are explicit and clear" in text
    assert_within_block_kit_limits(body)


@pytest.mark.parametrize(
    ("command", "expected", "absent"),
    [
        ("phase 3 teacher", "Teacher sets directions that are specific", "Students troubleshoot"),
        ("p1", "Establish a Learning Management System (LMS)", "Feedback for Learning"),
        ("3.8", "Write directions or create video tutorials", "Students troubleshoot"),
        ("phase 3 action 8", "Teacher sets directions that are specific", "Leader identifies"),
        ("teachers", "Teacher establishes a weekly cadence", "Leader identifies"),
        ("role leader", "Leader establishes a two-way communication channel", "Teacher posts"),
        ("search rostering", "single sign on (SSO) rostering", "Feedback for Learning"),
        ("help", "/progression phase 3", "Traceback"),
        ("", "/progression search rostering", "Traceback"),
    ],
)
def test_every_lookup_form_answers(
    slack: SlackSender, command: str, expected: str, absent: str
) -> None:
    reply = slack.command(command)
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert expected in _text_of(body)
    assert absent not in _text_of(body)
    assert_within_block_kit_limits(body)


def test_an_old_title_still_finds_phase_3(slack: SlackSender) -> None:
    assert "Engagement in Independent Learning" in _text_of(
        slack.command("search asynchronous student engagement").json()
    )


def test_share_word_posts_in_the_channel(slack: SlackSender) -> None:
    body = slack.command("phase 3 share", user_id="U77").json()
    assert body["response_type"] == "in_channel"
    assert "<@U77>" in _text_of(body)
    assert "share_reply" not in _text_of(body)


def test_share_button_posts_the_same_answer_in_the_channel(
    slack: SlackSender, api: SlackWebAPI
) -> None:
    private = slack.command("3.8").json()
    button = next(
        element
        for block in private["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    response_url = api.response_url("share-1")
    answer = slack.action(
        button["action_id"], button["value"], user_id="U5", response_url=response_url
    )
    assert answer.status == 200
    # The shared copy, then (a separate request) the private reply's removal.
    posted, removed = api.wait_for("response_url", count=2)
    assert removed.params.get("delete_original") in (True, "true")
    assert posted.params["response_type"] == "in_channel"
    assert "Write directions or create video tutorials" in json.dumps(posted.params["blocks"])
    assert "<@U5>" in json.dumps(posted.params)


def test_unknown_input_says_what_and_offers_the_closest(slack: SlackSender) -> None:
    body = slack.command("phase 9").json()
    assert body["response_type"] == "ephemeral"
    assert "Phase 9 does not exist: phases are 1-4" in _text_of(body)


@pytest.mark.parametrize("text", NASTY_INPUTS)
def test_nasty_input_gets_a_helpful_private_reply(slack: SlackSender, text: str) -> None:
    reply = slack.command(text)
    assert reply.status == 200, "never an HTTP error: Slack would show its 'failed' banner"
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert body["blocks"] and body["text"]
    rendered = _text_of(body)
    for dangerous in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C123>"):
        assert dangerous not in rendered
    assert "Traceback" not in rendered
    assert_within_block_kit_limits(body)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},  # forged
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 301)},  # stale, signed correctly
        {"X-Slack-Signature": None},  # missing signature
        {"X-Slack-Request-Timestamp": None},  # missing timestamp
    ],
)
def test_unsigned_forged_or_stale_requests_get_401(
    slack: SlackSender, headers: dict[str, str | None]
) -> None:
    body = urllib.parse.urlencode(slash_command_body("phase 3")).encode()
    timestamp = int(headers.get("X-Slack-Request-Timestamp") or time.time())
    signed = sign(SIGNING_SECRET, body, timestamp)
    signed["Content-Type"] = "application/x-www-form-urlencoded"
    for name, value in headers.items():
        if value is None:
            signed.pop(name, None)
        elif name == "X-Slack-Signature":
            signed[name] = value
    assert slack.raw(body, signed).status == 401


def test_healthz(http_app: RunningApp) -> None:
    with urllib.request.urlopen(http_app.url + "/healthz") as answer:
        assert answer.status == 200
