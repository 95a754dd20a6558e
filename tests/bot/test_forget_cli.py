"""`progression-bot forget --team T` as an operator runs it: from a script it deletes at once
and says what, table by table; on a terminal it asks first; the other workspaces keep all."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Store
from store.forget import WORKSPACE_TABLES
from tests.conftest import ROOT, run_cli
from tests.store.test_forget import counts, fill


@pytest.fixture
def filled(database: str) -> Iterator[str]:
    store = Store(database)
    fill(store, "T1")
    fill(store, "T2")
    store.close()
    yield database


def env(database: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(ROOT), "PROGRESSION_DB": database}


def rows(database: str, team: str) -> dict[str, int]:
    store = Store(database)
    try:
        return counts(store, team)
    finally:
        store.close()


def on_a_terminal(database: str, answer: str) -> tuple[int, str]:
    """`forget --team T1` with a terminal as its input, answered `answer`."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "forget", "--team", "T1"],
        cwd=ROOT,
        env=env(database),
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    os.close(terminal)
    os.write(controller, answer.encode() + b"\n")
    try:
        out, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
    return process.returncode, out


def test_from_a_script_it_deletes_one_workspace_and_says_what(filled: str) -> None:
    other = rows(filled, "T2")
    result = run_cli("forget", "--team", "T1", env=env(filled))
    assert result.returncode == 0, result.stderr
    assert "Deleted what was stored about T1:" in result.stdout
    assert "  subscriptions: 1 row" in result.stdout and "  checkoffs: 2 rows" in result.stdout
    listed = [line.split(":")[0].strip() for line in result.stdout.splitlines()[1:-1]]
    assert listed == list(WORKSPACE_TABLES)  # table by table, each that held something
    assert not any(rows(filled, "T1").values())
    assert rows(filled, "T2") == other

    again = run_cli("forget", "--team", "T1", env=env(filled))
    assert again.returncode == 0 and "Nothing is stored about T1" in again.stdout


def test_on_a_terminal_it_asks_and_deletes_only_when_told(filled: str) -> None:
    before = rows(filled, "T1")
    status, out = on_a_terminal(filled, "no")
    assert status == 1 and "subscriptions: 1 row" in out and "Type T1 to confirm" in out
    assert "Nothing deleted." in out and rows(filled, "T1") == before

    status, out = on_a_terminal(filled, "T1")
    assert status == 0 and "Deleted what was stored about T1:" in out, out
    assert not any(rows(filled, "T1").values()) and any(rows(filled, "T2").values())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["forget"], "--team"),
        (["forget", "--team", " "], "--team ' ' names no workspace"),
    ],
)
def test_a_missing_workspace_is_one_line(filled: str, args: list[str], says: str) -> None:
    result = run_cli(*args, env=env(filled))
    assert result.returncode == 2 and says in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # argparse: usage, then the line
    assert rows(filled, "T1") == rows(filled, "T2")  # nothing deleted


def test_a_database_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = run_cli("forget", "--team", "T1", env=env(str(missing)))
    assert result.returncode == 2 and "PROGRESSION_DB" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not missing.exists()
