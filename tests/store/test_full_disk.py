"""SQLite on a disk that fills: a write fails saying why, and leaves no transaction open, so the
next write once there is room goes through."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import Store
from tests.disks import fill, small_disk


def test_a_write_the_full_disk_refused_says_so_and_the_next_goes_through(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        store = Store(disk / "p.db")
        try:
            with store.backend.transaction() as session:  # the connection's files exist
                session.execute("create table small (one)")
            filler = fill(disk)
            with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
                with store.backend.transaction() as session:
                    # More than SQLite's page cache holds: it spills to the disk mid-statement.
                    session.execute("create table big as select zeroblob(8000000) as b")
            filler.unlink()
            with store.backend.transaction() as session:  # none left open: this one begins
                session.execute("insert into small values (1)")
        finally:
            store.close()
