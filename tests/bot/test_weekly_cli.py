"""`progression-bot digest` and `remind` as an operator (or cron) runs them: a week now, dry or
not, never twice, exit status 1 when channels were left to retry."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from store import Store
from tests.conftest import ROOT, app_env
from tests.scheduler import TEAM
from tests.slack.web_api import SlackWebAPI

WEEK = "2026-W49"
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def command(api: SlackWebAPI, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=app_env(api, db),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def district(api: SlackWebAPI, db: Path) -> None:
    """Lincoln's leaders and teachers with this week's nudge, the teachers reminded Thursday."""
    store = Store(db)
    for channel, name, role in (
        ("CLL", "lincoln-leaders", "leader"),
        ("CLT", "lincoln-teachers", "teacher"),
    ):
        api.add_channel(channel, name=name)
        api.add_member(channel, "U1", "U2", "U3")
        store.subscribe(TEAM, channel, role, (), "U0", "2026-W45", NOW)
        assert store.claim_delivery(
            TEAM, channel, WEEK, role=role, ref="1.7", round=1, owner="h:1", now=NOW
        )
        store.confirm_delivery(TEAM, channel, WEEK, f"170.{channel}", NOW)
    store.set_reminder(TEAM, "CLT", 3)
    store.close()


def test_digest_dry_run_says_who_gets_what_then_a_run_posts_it_once(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "p.db"
    district(api, db)
    dry = command(api, db, "digest", "--week", WEEK, "--team", TEAM, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "CLL" in dry.stdout and "would_post" in dry.stdout and "(dry run" in dry.stdout
    assert api.calls("chat.postMessage") == []

    done = command(api, db, "digest", "--week", WEEK, "--team", TEAM)
    assert done.returncode == 0, done.stderr
    [posted] = api.calls("chat.postMessage")
    assert posted.params["channel"] == "CLL" and "<#CLT>" in str(posted.params["blocks"])
    assert [c.params["channel_id"] for c in api.calls("files.completeUploadExternal")] == ["CLL"]

    again = command(api, db, "digest", "--week", WEEK, "--team", TEAM)
    assert again.returncode == 0 and "skipped" in again.stdout
    assert len(api.calls("chat.postMessage")) == 1


def test_digest_left_to_retry_exits_1(api: SlackWebAPI, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    district(api, db)
    api.faults.server_error("chat.postMessage", status=503, times=50, channel="CLL")
    failed = command(api, db, "digest", "--week", WEEK, "--team", TEAM)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "retry" in failed.stdout


def test_remind_sends_the_weeks_reminders_whatever_their_weekday(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "p.db"
    district(api, db)
    done = command(api, db, "remind", "--week", WEEK, "--team", TEAM)
    assert done.returncode == 0, done.stderr
    [reply] = api.calls("chat.postMessage")
    assert reply.params["channel"] == "CLT" and reply.params["thread_ts"] == "170.CLT"
    again = command(api, db, "remind", "--week", WEEK, "--team", TEAM)
    assert again.returncode == 0 and len(api.calls("chat.postMessage")) == 1


def test_a_digest_turned_off_says_so(api: SlackWebAPI, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    district(api, db)
    store = Store(db)
    store.set_digest_schedule(TEAM, 4, "14:00", False, NOW)
    store.close()
    off = command(api, db, "digest", "--team", TEAM)
    assert off.returncode == 0 and "turned off" in off.stdout
    assert api.calls("chat.postMessage") == []
