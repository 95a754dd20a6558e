"""`check_database_path`: what may be opened as this app's database, and what is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import DatabasePathError, Store, check_database_path
from store.migrations import migrations


def test_a_new_file_in_a_writable_folder_may_be_created(tmp_path: Path) -> None:
    check_database_path(str(tmp_path / "progression.db"), create=True)
    with pytest.raises(DatabasePathError, match="does not exist"):
        check_database_path(str(tmp_path / "progression.db"), create=False)


def test_this_apps_database_and_an_empty_file_are_accepted(tmp_path: Path) -> None:
    Store(tmp_path / "progression.db").close()
    check_database_path(str(tmp_path / "progression.db"), create=False)
    (tmp_path / "empty.db").touch()  # SQLite makes a new database of an empty file
    check_database_path(str(tmp_path / "empty.db"), create=False)


def test_a_database_another_process_is_creating_is_accepted(tmp_path: Path) -> None:
    # Migrations record themselves as they commit: the record may be there, still empty.
    with sqlite3.connect(tmp_path / "new.db") as connection:
        connection.execute(f"CREATE TABLE [{migrations.migrations_table}] (migration_set TEXT)")
    connection.close()
    check_database_path(str(tmp_path / "new.db"), create=False)


def test_another_sqlite_utils_apps_database_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "other.db") as connection:
        connection.execute(f"CREATE TABLE [{migrations.migrations_table}] (migration_set TEXT)")
        connection.execute(f"INSERT INTO [{migrations.migrations_table}] VALUES ('photos')")
    connection.close()
    with pytest.raises(DatabasePathError, match=r"^PROGRESSION_DB=.*another application's"):
        check_database_path(str(tmp_path / "other.db"), create=True)


@pytest.mark.parametrize("path", [":memory:", "postgresql://localhost/progression"])
def test_what_is_not_a_file_is_left_to_its_backend(path: str) -> None:
    check_database_path(path, create=False)
    check_database_path(str(Path(path)), create=False)
