"""The database file, checked before SQLite opens it.

SQLite reports a wrong path late and obscurely ("unable to open database file", "file is not a
database", or it quietly creates an empty database somewhere). `check_database_path` names the
setting, the path and what to do, before any connection is made.
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
    """PROGRESSION_DB names something that cannot be this app's database; one line says why."""


def check_database_path(path: str, *, create: bool) -> None:
    """Refuse a path that SQLite could not use as this app's database, with what to do.

    `create=False` is for commands that only read: a database that does not exist is an error
    (most often the command runs in another folder than `serve`), not a new empty file.
    """
    if path == ":memory:" or _URL.match(path):  # in memory, or another backend's URL
        return
    file = Path(path)
    if file.exists() or file.is_symlink():
        _check_existing(file)
    elif not create:
        _refuse(
            file,
            "does not exist, so there is no database to read there; set PROGRESSION_DB to the "
            "database `progression-bot serve` uses (a relative path is from the current folder)",
        )
    else:
        _check_folder(file, "create the database in")


def _check_existing(file: Path) -> None:
    if file.is_dir():
        _refuse(
            file,
            f"is a folder, not a database file; name a file, such as {file / 'progression.db'}",
        )
    if not file.is_file():
        _refuse(file, "is not a regular file; name a database file, such as ./progression.db")
    try:
        with file.open("rb") as opened:
            header = opened.read(len(SQLITE_HEADER))
    except PermissionError:
        _refuse(file, "cannot be read by this user; give it read and write access to the file")
    if header and header != SQLITE_HEADER:
        _refuse(
            file,
            "is not a SQLite database; name progression-bot's database, or a new file to create",
        )
    if not os.access(file, os.R_OK | os.W_OK):
        _refuse(
            file, "is read-only for this user; progression-bot writes to it: give it write access"
        )
    _check_folder(file, "keep the database's journal (-wal, -shm files) in")
    if header:
        _check_tables(file)


def _check_folder(file: Path, purpose: str) -> None:
    folder = file.absolute().parent
    if not folder.exists():
        _refuse(file, f"is in a folder that does not exist ({folder}); create it first")
    if not folder.is_dir():
        _refuse(file, f"is under {folder}, which is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        _refuse(
            file,
            f"cannot be used: this user cannot write in {folder} to {purpose} it; "
            "point PROGRESSION_DB at a file in a folder it can write (a service's state folder)",
        )


def _check_tables(file: Path) -> None:
    """Refuse another application's SQLite database rather than adding tables to it."""
    uri = f"file:{quote(str(file.absolute()))}?mode=ro"
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
        _refuse(file, f"is a damaged SQLite database ({error}); restore it from a backup")
    if tables and (sets is None or (sets and migrations.name not in sets)):
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        _refuse(
            file,
            f"is another application's SQLite database (tables: {shown}); "
            "point PROGRESSION_DB at progression-bot's database, or at a new file",
        )


def _refuse(file: Path, problem: str) -> NoReturn:
    # A relative path is from wherever the command ran: say where that was.
    where = "" if file.is_absolute() else f" ({file.absolute()})"
    raise DatabasePathError(f"{SETTING}={file}{where}: {problem}")
