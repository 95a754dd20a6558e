"""Another process holding the database's write lock, through the running app: lookups and
/healthz answer as usual, a write is refused in time with "try again", an event gets a status
that Slack retries, and nothing is lost once the lock is gone."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store import Store
from tests.bot.answers import final_answer
from tests.bot.nudges import Nudge, app_with_a_nudge, let_in
from tests.conftest import SIGNING_SECRET, RunningApp
from tests.slack.signing import TEAM_ID, SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

ADMIN = "UADMINBUSY"
CHANNEL, TS = "CBUSY1", "1700000000.000777"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SLACK_PATIENCE = 2.9  # Slack gives up on an answer after 3 seconds


@pytest.fixture
def app(api: SlackWebAPI, tmp_path: Path) -> Iterator[RunningApp]:
    with app_with_a_nudge(api, tmp_path, CHANNEL, TS) as running:
        yield running


class WriteLock:
    """Another process in `BEGIN IMMEDIATE` on the database until released."""

    def __init__(self, db: Path) -> None:
        code = (
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "c.execute('begin immediate')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.execute('rollback')\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.process.returncode is None:
            self.process.communicate("\n", timeout=10)


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
            assert "busy" not in again and "2027-03-15" in again
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
