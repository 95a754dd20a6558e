"""Another process holding the database's write lock, through the running app: lookups and
/healthz answer as usual, a write is refused in time with "try again", an event gets a status
that Slack retries, and nothing is lost once the lock is gone."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store import Store
from tests.bot.answers import final_answer
from tests.conftest import SIGNING_SECRET, RunningApp, app_env, start_http_app, stop_app
from tests.slack.signing import TEAM_ID, SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

ADMIN = "UADMINBUSY"
CHANNEL, TS = "CBUSY1", "1700000000.000777"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SLACK_PATIENCE = 2.9  # Slack gives up on an answer after 3 seconds


@pytest.fixture
def app(api: SlackWebAPI, tmp_path: Path) -> Iterator[RunningApp]:
    db = tmp_path / "p.db"
    store = Store(db)
    store.subscribe(TEAM_ID, CHANNEL, "teacher", (), "U0", "2026-W48", NOW)
    store.claim_delivery(
        TEAM_ID, CHANNEL, "2026-W48", role="teacher", ref="1.7", round=1, owner="t", now=NOW
    )
    store.confirm_delivery(TEAM_ID, CHANNEL, "2026-W48", TS, NOW)
    store.close()
    running = start_http_app(app_env(api, db), tmp_path)
    yield running
    stop_app(running)


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
