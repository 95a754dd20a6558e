"""Which errors mean "the database is busy or away, try again", and the store without psycopg."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from store import StoreError
from store.busy import StoreBusy, is_busy, is_database_error, unavailable_reason
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("error", "busy", "unavailable", "database"),
    [
        (StoreBusy("locked by a backup"), True, True, True),
        (sqlite3.OperationalError("database is locked"), True, True, True),
        (sqlite3.OperationalError("disk I/O error"), False, True, True),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), False, False, True),
        (StoreError("PROGRESSION_DB: cannot connect"), False, True, True),
        (PoolTimeout("couldn't get a connection"), True, True, True),
        (psycopg.errors.LockNotAvailable("lock timeout"), True, True, True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True, True, True),
        (psycopg.OperationalError("connection refused"), False, True, True),
        (psycopg.errors.UndefinedTable("no such table"), False, False, True),
        (ValueError("a bug"), False, False, False),
    ],
)  # fmt: skip
def test_busy_unavailable_and_database_errors(
    error: BaseException, busy: bool, unavailable: bool, database: bool
) -> None:
    assert is_busy(error) is busy
    assert (unavailable_reason(error) is not None) is unavailable
    assert is_database_error(error) is database


WITHOUT_PSYCOPG = """
import sqlite3, sys
sys.modules["psycopg"] = sys.modules["psycopg_pool"] = None  # `import psycopg` fails
import scheduler.jobs
from store import Store
from store.busy import is_busy, is_database_error, unavailable_reason
store = Store(sys.argv[1])
assert store.kind == "sqlite" and store.teams() == []
assert is_busy(sqlite3.OperationalError("database is locked"))
assert unavailable_reason(ValueError("a bug")) is None and not is_database_error(ValueError())
assert "psycopg" not in [name for name, module in sys.modules.items() if module is not None]
"""


def test_the_store_runs_on_sqlite_without_psycopg(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, str(tmp_path / "progression.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
