"""`progression-bot backup FILE` while `serve --http` records check-offs: every copy is a whole,
consistent database, and a copy put back in place is the data as it was."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store import Store
from tests.bot.nudges import app_with_a_nudge
from tests.conftest import SIGNING_SECRET, RunningApp, app_env, run_cli
from tests.slack.signing import SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

CHANNEL, TS = "CBACKUP1", "1700000000.000888"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
REACTIONS = 1500
MAX_BACKUPS = 15


@pytest.fixture
def app(api: SlackWebAPI, tmp_path: Path) -> Iterator[RunningApp]:
    with app_with_a_nudge(api, tmp_path, CHANNEL, TS) as running:
        yield running


def _checkoffs(db: Path) -> int:
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("pragma integrity_check").fetchone()[0] == "ok"
        return int(connection.execute("select count(*) from checkoffs").fetchone()[0])
    finally:
        connection.close()


def test_backups_while_serving_are_whole_and_restore(
    app: RunningApp, api: SlackWebAPI, tmp_path: Path
) -> None:
    env = app_env(api, app.db)
    statuses: list[int] = []

    def react() -> None:
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            for n in range(REACTIONS):
                event = reaction_event(
                    "reaction_added",
                    user=f"UB{n:04d}",
                    reaction="white_check_mark",
                    channel=CHANNEL,
                    ts=TS,
                )
                statuses.append(slack.event(event).status)

    sender = threading.Thread(target=react)
    sender.start()
    counts: list[int] = []
    for n in range(MAX_BACKUPS):
        copy = tmp_path / f"copy-{n}.db"
        result = run_cli("backup", str(copy), env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert not list(tmp_path.glob(".copy-*.partial"))
        counts.append(_checkoffs(copy))
        if not sender.is_alive():
            break
    sender.join(timeout=120)
    assert statuses == [200] * REACTIONS
    assert counts == sorted(counts) and counts[0] < REACTIONS  # taken while writes went on

    final = tmp_path / "final.db"
    assert run_cli("backup", str(final), env=env, cwd=tmp_path).returncode == 0
    assert _checkoffs(final) == REACTIONS

    # Restore: the copy is a database file of its own, put where PROGRESSION_DB points.
    restored = tmp_path / "restored" / "progression.db"
    restored.parent.mkdir()
    restored.write_bytes(final.read_bytes())
    exported = run_cli("export", env=app_env(api, restored), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == REACTIONS and {r["channel"] for r in rows} == {CHANNEL}


@pytest.mark.parametrize(
    ("target", "says"),
    [("missing/copy.db", "does not exist"), ("p.db", "PROGRESSION_DB itself")],
)
def test_a_backup_that_cannot_be_written_is_one_line(
    api: SlackWebAPI, tmp_path: Path, target: str, says: str
) -> None:
    Store(tmp_path / "p.db").close()
    result = run_cli(
        "backup", str(tmp_path / target), env=app_env(api, tmp_path / "p.db"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_backup_of_a_database_that_is_not_there_creates_nothing(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    missing = tmp_path / "not-here.db"
    result = run_cli("backup", str(tmp_path / "copy.db"), env=app_env(api, missing), cwd=tmp_path)
    assert result.returncode == 2 and "PROGRESSION_DB" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not missing.exists() and not (tmp_path / "copy.db").exists()
