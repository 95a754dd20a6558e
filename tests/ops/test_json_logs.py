"""PROGRESSION_LOG_FORMAT=json: one JSON object per line (time, level, logger, message, and the
request's workspace and kind while it is answered), never a body or a token; gunicorn's own
lines too. The default stays text."""

from __future__ import annotations

import json
import logging
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.cli.log_lines import OneLineFormatter, formatter_for
from bot.observe.json_logs import JsonFormatter
from bot.observe.request_context import answering
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    app_env,
    start_http_app,
    stop_app,
)
from tests.slack.signing import TEAM_ID, SlackSender
from tests.slack.web_api import SlackWebAPI

KEYS = {"time", "level", "logger", "message"}


def wait_ready(url: str, timeout: float = 30) -> None:
    """Until /readyz says ready (another process's start, not a schedule)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5):
                return
        except urllib.error.HTTPError as error:
            error.close()
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.1)


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
    return logging.LogRecord("progression_bot", logging.WARNING, __file__, 1, message, args, info)


def test_a_line_is_one_json_object_with_the_request_when_known() -> None:
    formatter = JsonFormatter()
    outside = json.loads(formatter.format(record("Refused %s", "a\nforged line")))
    assert set(outside) == KEYS
    assert outside["level"] == "WARNING" and outside["logger"] == "progression_bot"
    assert outside["message"] == "Refused a\nforged line"
    assert outside["time"].endswith("+00:00")
    with answering("event", TEAM_ID):
        line = formatter.format(record("Listener failed", exc=True))
    assert "\n" not in line and "\u2028" not in line
    inside = json.loads(line)
    assert inside["workspace"] == TEAM_ID and inside["request_kind"] == "event"
    assert "ValueError: boom" in inside["exception"]


def test_text_stays_the_default() -> None:
    assert isinstance(formatter_for("text"), OneLineFormatter)
    assert isinstance(formatter_for("json"), JsonFormatter)


def test_serve_writes_json_lines_gunicorns_too(api: SlackWebAPI, tmp_path: Path) -> None:
    env = app_env(api, tmp_path / "p.db", PROGRESSION_LOG_FORMAT="json")
    app = start_http_app(env, tmp_path)
    try:
        wait_ready(app.url)  # the runner has started, and logged it
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            # An action no listener takes is acked with a line naming its kind: logged while
            # the request is answered.
            assert slack.action("no_such_action", "a-value-from-the-body").status == 200
    finally:
        stop_app(app)
    lines = [line for line in app.output().splitlines() if line.strip()]
    assert lines
    parsed = [json.loads(line) for line in lines]  # every line, gunicorn's and the runner's
    assert all(KEYS <= set(p) for p in parsed)
    loggers = {p["logger"] for p in parsed}
    assert "gunicorn.error" in loggers and "scheduler.runner" in loggers
    acked = [p for p in parsed if "no listener takes" in p["message"]]
    assert acked and acked[0]["request_kind"] == "action" and acked[0]["workspace"] == TEAM_ID
    output = app.output()
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output
    assert "a-value-from-the-body" not in output and "response_url" not in output
