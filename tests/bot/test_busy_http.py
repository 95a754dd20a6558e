"""Another process holding the database's write lock, through the running app: lookups and
/healthz answer as usual, a write is refused in time with "try again", an event gets a status
that Slack retries, and nothing is lost once the lock is gone. Every answer comes within
Slack's 3 seconds, also when many wait at once or PostgreSQL is down."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import views
from store import Store
from tests.bot.answers import final_answer
from tests.bot.busy import (
    ADMIN,
    AT_ONCE,
    CHANNEL,
    READS,
    TS,
    WriteLock,
    timed_answers,
    timed_reactions,
)
from tests.bot.nudges import Nudge, add_nudge, app_with_a_nudge, let_in
from tests.conftest import SIGNING_SECRET, RunningApp, app_env, start_http_app, stop_app
from tests.own_postgres import own_postgres
from tests.slack.signing import TEAM_ID, SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SLACK_PATIENCE = 2.9  # Slack gives up on an answer after 3 seconds
IN_TIME = 2.5  # the app's bound for every answer, whatever the database is doing
BUSY = {"response_type": "ephemeral", **views.busy_message()}


@pytest.fixture
def app(api: SlackWebAPI, tmp_path: Path) -> Iterator[RunningApp]:
    with app_with_a_nudge(api, tmp_path, CHANNEL, TS) as running:
        yield running


def test_a_held_write_lock_stalls_nothing_and_loses_nothing(
    app: RunningApp, api: SlackWebAPI
) -> None:
    api.add_user(ADMIN, is_admin=True)
    reaction = reaction_event(
        "reaction_added", user="UREACT", reaction="white_check_mark", channel=CHANNEL, ts=TS
    )
    lock = WriteLock(app.db)
    try:
        with SlackSender(
            app.url + "/slack/events", SIGNING_SECRET, timeout=SLACK_PATIENCE
        ) as slack:
            with urllib.request.urlopen(app.url + "/healthz", timeout=SLACK_PATIENCE) as health:
                assert health.status == 200

            phase = slack.command("phase 3", channel_id=CHANNEL)
            assert phase.status == 200 and "Independent Learning" in phase.text
            progress = slack.command("progress", channel_id=CHANNEL)
            assert progress.status == 200 and "1.7" in progress.text

            skip = str(
                final_answer(
                    slack, api, "skip 2027-03-15 2027-03-19", user_id=ADMIN, channel_id=CHANNEL
                )
            )
            assert "busy" in skip and "try again" in skip

            refused = slack.event(reaction, event_id="EvBUSY0001")
            assert refused.status >= 500  # Slack retries a delivery that was not acknowledged
        lock.release()

        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            retried = slack.event(reaction, event_id="EvBUSY0001", retry_num=1)
            assert retried.status == 200
            again = str(
                final_answer(
                    slack, api, "skip 2027-03-15 2027-03-19", user_id=ADMIN, channel_id=CHANNEL
                )
            )
            assert "busy" not in again and "Monday 15 March 2027" in again
    finally:
        lock.release()

    store = Store(app.db)
    assert store.checked_by(TEAM_ID, CHANNEL, "1.7") == ["UREACT"]
    assert [b.start.isoformat() for b in store.breaks(TEAM_ID)] == ["2027-03-15"]
    store.close()
    assert "Traceback" not in app.output()


def test_a_home_press_the_locked_database_cannot_save_is_told_not_dropped(
    app: RunningApp, api: SlackWebAPI
) -> None:
    user = "UHOMEBUSY"
    let_in(app.db, api, Nudge(CHANNEL, TS, "1.7"), user)
    lock = WriteLock(app.db)
    try:
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            pressed = slack.action(
                "home_mark_done", f"{CHANNEL}|{TS}", user_id=user, view={"id": "V1", "type": "home"}
            )
            assert pressed.status == 200
            told = _direct_message_to(api, user)
        assert "could not be saved" in told and "press it again" in told
    finally:
        lock.release()
    store = Store(app.db)
    assert user not in store.checked_by(TEAM_ID, CHANNEL, "1.7")
    store.close()


def _direct_message_to(api: SlackWebAPI, user: str, timeout: float = 15) -> str:
    """The text of the first direct message to `user` (the scheduler may post in channels)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in api.calls("chat.postMessage"):
            if call.params.get("channel") == user:
                return str(call.params.get("text"))
        time.sleep(0.05)
    raise AssertionError(f"no direct message to {user}")


# --- in time, however many wait ------------------------------------------------------------


def assert_in_time_busy_or_served(answers: list[tuple[str, float, dict[str, Any]]]) -> None:
    late = [(text, round(took, 2)) for text, took, _ in answers if took > IN_TIME]
    assert not late, f"answered after {IN_TIME} s: {late}"
    for text, _, answer in answers:
        if answer == BUSY:
            continue
        assert text in READS, f"{text!r} was answered neither busy nor served: {answer}"
        assert READS[text] in str(answer), (text, answer)


def test_commands_at_once_against_a_held_write_lock_are_each_answered_in_time(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    with app_with_a_nudge(api, tmp_path, CHANNEL, TS, PROGRESSION_MANAGERS=ADMIN) as app:
        lock = WriteLock(app.db)
        try:
            answers = timed_answers(app, AT_ONCE)
        finally:
            lock.release()
    assert_in_time_busy_or_served(answers)
    served = [text for text, _, answer in answers if answer != BUSY]
    assert sorted(served) == sorted(t for t in AT_ONCE if t in READS)  # reads never wait


def test_commands_while_postgresql_is_down_are_each_answered_in_time(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    with own_postgres() as server:
        # One web worker, answering once started: a worker still starting when the server
        # stops fails to boot, and gunicorn then stops the whole app.
        env = {"PROGRESSION_MANAGERS": ADMIN}
        with app_with_a_nudge(api, tmp_path, CHANNEL, TS, db=server.url, workers=1, **env) as app:
            [(_, _, before)] = timed_answers(app, ["progress"])
            assert READS["progress"] in str(before)
            server.stop("fast")
            answers = timed_answers(app, ["progress", "skip 2027-03-15 2027-03-19"])
    assert_in_time_busy_or_served(answers)


def test_reactions_at_once_against_a_held_write_lock_are_each_refused_in_time(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    # Two processes on one database (web workers, or two services), each with reactions
    # waiting on the lock at once: their group-commit leaders take turns on the lock file,
    # and the turn is part of the wait.
    db = tmp_path / "p.db"
    add_nudge(db, "1.7", channel=CHANNEL, ts=TS)
    apps = [start_http_app(app_env(api, db), tmp_path, workers=1) for _ in range(2)]
    try:
        lock = WriteLock(db)
        try:
            answers = timed_reactions(apps, 6)
        finally:
            lock.release()
    finally:
        for app in apps:
            stop_app(app)
    assert [status for status, _ in answers] == [503] * 6
    late = [round(took, 2) for _, took in answers if took > IN_TIME]
    assert not late, f"answered after {IN_TIME} s: {late}"
