"""Which database `PROGRESSION_DB` names, and opening it: SQLite for a path, PostgreSQL for a URL.

Not in `store/backend.py`: both backends import that interface, and opening them imports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from store.backend import POOL_SIZE, WRITE_WAIT_SECONDS, Backend, StoreError, redact
from store.paths import check_database_path
from store.sqlite import SQLiteBackend

POSTGRES_SCHEMES = ("postgresql", "postgres")
SQLITE_PREFIX = "sqlite:///"
_TWO_SLASHES = re.compile(r"sqlite://([^/].*)", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Target:
    """Which database `PROGRESSION_DB` names."""

    kind: str  # "sqlite" or "postgresql"
    location: str  # a file path, or a PostgreSQL URL


def parse_target(value: Path | str, setting: str = "PROGRESSION_DB") -> Target:
    """A path or `sqlite:///path` is SQLite; `postgresql://…` (or `postgres://`) is PostgreSQL.

    `setting` is what the messages call the value (the setting, or a command's argument)."""
    text = str(value).strip()
    if text.startswith(SQLITE_PREFIX):
        path = text[len(SQLITE_PREFIX) :]  # as SQLAlchemy: sqlite:////abs/file, sqlite:///rel
        if not path:
            raise StoreError(f"{setting} {text!r} names no file: use sqlite:///progression.db")
        return Target("sqlite", path)
    if slip := _TWO_SLASHES.fullmatch(text):
        # sqlite://FILE names a host, FILE, and no file: the slip is a slash, not the scheme.
        raise StoreError(
            f"{setting} is {text!r}: a SQLite URL has three slashes, sqlite:///{slip[1]}, "
            f"or write the path alone, {slip[1]}"
        )
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(text)
        if not parts.hostname and "host=" not in parts.query:
            raise StoreError(
                f"{setting} {redact(text)!r} names no host: "
                "use postgresql://USER@HOST:5432/DATABASE"
            )
        return Target("postgresql", text)
    if scheme:
        raise StoreError(
            f"{setting} {redact(text)!r}: unknown scheme {scheme!r}; use a file path, "
            "sqlite:///FILE or postgresql://USER@HOST:5432/DATABASE"
        )
    if not text:
        raise StoreError(f"{setting} is empty: use a file path or a postgresql:// URL")
    return Target("sqlite", text)


def open_backend(
    value: Path | str,
    setting: str = "PROGRESSION_DB",
    *,
    create: bool = True,
    write_wait: float = WRITE_WAIT_SECONDS,
    lazy: bool = False,
    pool_size: int = POOL_SIZE,
) -> Backend:
    """The backend `PROGRESSION_DB` names, connected (raises `StoreError` in one line, or
    `DatabasePathError` for a file SQLite cannot use; `create=False`: only an existing one).
    `lazy`: PostgreSQL is not asked anything until first used; `pool_size`: its connections."""
    target = parse_target(value, setting)
    if target.kind == "postgresql":
        from store.postgres import PostgresBackend  # psycopg only where it is used

        return PostgresBackend(
            target.location, setting, write_wait=write_wait, lazy=lazy, pool_size=pool_size
        )
    check_database_path(target.location, create=create, setting=setting)
    return SQLiteBackend(target.location, write_wait=write_wait)
