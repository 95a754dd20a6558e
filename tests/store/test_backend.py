"""What `PROGRESSION_DB` names, and the one place `?` parameters become psycopg's `%s`."""

from __future__ import annotations

import pytest

from store.backend import StoreError, redact
from store.opening import Target, parse_target
from store.postgres import translate


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("progression.db", Target("sqlite", "progression.db")),
        ("/var/lib/progression/p.db", Target("sqlite", "/var/lib/progression/p.db")),
        ("sqlite:///progression.db", Target("sqlite", "progression.db")),
        ("sqlite:////var/lib/p.db", Target("sqlite", "/var/lib/p.db")),
        ("postgresql://bot@db:5432/progression", Target("postgresql", "postgresql://bot@db:5432/progression")),
        ("postgres://bot:pw@db/progression", Target("postgresql", "postgres://bot:pw@db/progression")),
        ("postgresql:///p?host=/run/postgresql", Target("postgresql", "postgresql:///p?host=/run/postgresql")),
    ],
)  # fmt: skip
def test_a_path_is_sqlite_and_a_postgresql_url_is_postgresql(value: str, target: Target) -> None:
    assert parse_target(value) == target


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "PROGRESSION_DB is empty"),
        ("sqlite:///", "names no file"),
        ("mysql://root:pw@db/x", "unknown scheme 'mysql'"),
        ("postgresql:///progression", "names no host"),
    ],
)
def test_what_is_not_a_database_says_what_to_write(value: str, says: str) -> None:
    with pytest.raises(StoreError, match=says) as error:
        parse_target(value)
    assert "pw" not in str(error.value)


def test_a_password_never_shows() -> None:
    assert redact("postgresql://bot:s3cret@db:5432/p") == "postgresql://bot:***@db:5432/p"
    assert redact("postgresql://bot@db/p") == "postgresql://bot@db/p"


@pytest.mark.parametrize(
    ("sql", "psycopg"),
    [
        ("select * from t where a = ? and b = ?", "select * from t where a = %s and b = %s"),
        ("select '?', \"a?\" from t where x = ?", "select '?', \"a?\" from t where x = %s"),
        ("select 'it''s ?' where x like '1%' or ?", "select 'it''s ?' where x like '1%%' or %s"),
        ("update t set a = ? % 2", "update t set a = %s %% 2"),
    ],
)  # fmt: skip
def test_parameters_are_translated_and_literals_left_alone(sql: str, psycopg: str) -> None:
    assert translate(sql) == psycopg
