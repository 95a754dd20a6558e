"""The database file, checked before SQLite opens it.

SQLite reports a wrong path late and obscurely ("unable to open database file", "file is not a
database", or it quietly creates an empty database somewhere). `check_database_path` names the
setting (or the command's argument, such as copy-db's FROM and TO), the path and what to do,
before any connection is made.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

from store.migrations import migrations

SETTING = "PROGRESSION_DB"
# `postgresql://...` (a pathlib.Path keeps one slash of two: `postgresql:/...`).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")
# The first 16 bytes of every SQLite 3 database file (an empty file is a new database).
SQLITE_HEADER = b"SQLite format 3\x00"


class DatabasePathError(Exception):
    """PROGRESSION_DB (or a command's FROM or TO) names something that cannot be this app's
    database; one line says why."""


def check_database_path(path: str, *, create: bool, setting: str = SETTING) -> None:
    """Refuse a path that SQLite could not use as this app's database, with what to do.

    `create=False` is for commands that only read: a database that does not exist is an error
    (most often the command runs in another folder than `serve`), not a new empty file.
    `setting` is what the messages call the path: the setting, or a command's argument.
    """
    if path == ":memory:" or _URL.match(path):  # in memory, or another backend's URL
        return
    checked = _Checked(Path(path), setting, create)
    if checked.file.exists() or checked.file.is_symlink():
        _check_existing(checked)
    elif not create:
        checked.refuse(
            "does not exist, so there is no database to read there; "
            f"point {checked.setting} at the database `progression-bot serve` uses "
            "(a relative path is from the current folder)"
        )
    else:
        _check_folder(checked, "create the database in")


class _Checked:
    """The path being checked, what the operator called it, and whether it may be created."""

    def __init__(self, file: Path, setting: str, create: bool) -> None:
        self.file, self.setting, self.create = file, setting, create

    @property
    def or_a_new_file(self) -> str:
        """The end of the advice to name another file: a new one only where it may be created."""
        return ", or a new file to create" if self.create else ""

    def refuse(self, problem: str) -> NoReturn:
        # The setting as it is set (PROGRESSION_DB=...); a command's argument by its name. A
        # relative path is from wherever the command ran: say where that was.
        sign = "=" if self.setting == SETTING else " "
        file = self.file
        where = "" if file.is_absolute() else f" ({file.absolute()})"
        raise DatabasePathError(f"{self.setting}{sign}{file}{where}: {problem}")


def _check_existing(checked: _Checked) -> None:
    file = checked.file
    if file.is_dir():
        checked.refuse(
            f"is a folder, not a database file; name a file, such as {file / 'progression.db'}"
        )
    if not file.is_file():
        checked.refuse("is not a regular file; name a database file, such as ./progression.db")
    try:
        with file.open("rb") as opened:
            header = opened.read(len(SQLITE_HEADER))
    except PermissionError:
        checked.refuse("cannot be read by this user; give it read and write access to the file")
    if header and header != SQLITE_HEADER:
        checked.refuse(
            f"is not a SQLite database; name progression-bot's database{checked.or_a_new_file}"
        )
    if not os.access(file, os.R_OK | os.W_OK):
        checked.refuse(
            "is read-only for this user; progression-bot writes to it: give it write access"
        )
    _check_folder(checked, "keep the database's journal (-wal, -shm files) in")
    if header:
        _check_tables(checked)


def _check_folder(checked: _Checked, purpose: str) -> None:
    folder = checked.file.absolute().parent
    if not folder.exists():
        checked.refuse(f"is in a folder that does not exist ({folder}); create it first")
    if not folder.is_dir():
        checked.refuse(f"is under {folder}, which is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        checked.refuse(
            f"cannot be used: this user cannot write in {folder} to {purpose} it; "
            f"point {checked.setting} at a file in a folder it can write (a service's state folder)"
        )


def _check_tables(checked: _Checked) -> None:
    """Refuse another application's SQLite database rather than adding tables to it."""
    uri = f"file:{quote(str(checked.file.absolute()))}?mode=ro"
    table = migrations.migrations_table
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=1)
        try:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            # Migrations record themselves in the transaction that applies them: an empty
            # record is a database being created right now by another process.
            sets = (
                {row[0] for row in connection.execute(f"SELECT migration_set FROM [{table}]")}
                if table in tables
                else None
            )
        finally:
            connection.close()
    except sqlite3.OperationalError:
        return  # busy or locked: another process is using it, SQLite will wait for it later
    except sqlite3.DatabaseError as error:
        checked.refuse(f"is a damaged SQLite database ({error}); restore it from a backup")
    if tables and (sets is None or (sets and migrations.name not in sets)):
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        checked.refuse(
            f"is another application's SQLite database (tables: {shown}); "
            f"point {checked.setting} at progression-bot's database{checked.or_a_new_file}"
        )
