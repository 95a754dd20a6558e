"""`progression-bot copy-db FROM TO` as an operator runs it: a district's SQLite history moved
to PostgreSQL, counted on both sides; every mistake is one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from progression.calendar import SchoolBreak, WeeklySlot
from store import Store
from store.checkoffs import ReactionChange
from tests.conftest import free_port, run_cli
from tests.postgres import fresh_database
from tests.store import table

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
T = "T1"


def district(path: Path) -> None:
    """A term's worth of a small district: every kind of thing the store keeps."""
    store = Store(path)
    try:
        store.set_schedule(T, WeeklySlot(1, time(7, 30), "America/Chicago"), NOW)
        store.add_break(T, SchoolBreak(date(2026, 12, 21), date(2027, 1, 1)), "UADMIN", NOW)
        for n in range(12):
            channel = f"C{n:03d}"
            store.subscribe(T, channel, "teacher", (2, 3), "UADMIN", "2026-W40", NOW)
            for week in range(40, 48):
                ts = f"17000{n:05d}.{week:06d}"
                assert store.claim_delivery(
                    T, channel, f"2026-W{week}", role="teacher", ref=f"2.{week - 39}", round=1,
                    owner="host:1", now=NOW,
                )  # fmt: skip
                store.confirm_delivery(T, channel, f"2026-W{week}", ts, NOW)
                for user in range(n % 4):
                    change = ReactionChange(
                        T, channel, ts, f"2.{week - 39}", f"U{user}", "white_check_mark", True,
                        NOW + timedelta(minutes=week),
                    )  # fmt: skip
                    store.record_reaction(change, f"Ev{n}-{week}-{user}", NOW.timestamp())
        store.claim_delivery(
            T, "C000", "2026-W48", role="teacher", ref="2.9", round=1, owner="h:2", now=NOW
        )
        store.mark_unconfirmed(T, "C000", "2026-W48")
        store.mark_inactive(T, "C011", "is_archived", NOW)
        store.record_checkoff(T, "C005", "3.1", "U9", NOW)
        store.remember_user(T, "UBOT", True, NOW)
    finally:
        store.close()


@pytest.fixture
def target() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def everything(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in an order that does not depend on the database."""
    return {
        name: sorted(tuple(sorted(row.items())) for row in table(store, name))
        for name in store.backend.tables()
    }


def test_copy_db_moves_the_whole_history_and_counts_it(tmp_path: Path, target: str) -> None:
    source = tmp_path / "progression.db"
    district(source)

    result = run_cli("copy-db", str(source), target, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "deliveries: 97 rows" in result.stdout
    assert "subscriptions: 12 rows" in result.stdout
    assert "every table counted on both sides" in result.stdout

    old, new = Store(source), Store(target)
    try:
        assert new.kind == "postgresql"
        assert everything(new) == everything(old)
        assert new.subscriptions(T) == old.subscriptions(T)
        assert new.schedule(T) == old.schedule(T) and new.breaks(T) == old.breaks(T)
        assert new.deliveries(T, "C000") == old.deliveries(T, "C000")
        assert new.unconfirmed(T) == old.unconfirmed(T) != []
        assert list(new.all_checkoffs(T)) == list(old.all_checkoffs(T))
        assert new.checkoff_counts(T) == old.checkoff_counts(T)
        assert new.known_bot(T, "UBOT") is True
    finally:
        old.close()
        new.close()

    again = run_cli("copy-db", str(source), target, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "progression-bot: TO already holds data (checkoff_reactions: 144 rows): "
        "copy-db fills an empty database only"
    ]


@pytest.mark.parametrize(
    ("source", "target", "says"),
    [
        ("progression.db", "mysql://root@127.0.0.1/x", "TO 'mysql://root@127.0.0.1/x': unknown"),
        ("progression.db", "postgresql:///x", "TO 'postgresql:///x' names no host"),
        (
            "progression.db",
            "postgresql://postgres:s3cret@127.0.0.1:{port}/x",
            "TO: cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:",
        ),
    ],
)
def test_copy_db_mistakes_are_one_line(tmp_path: Path, source: str, target: str, says: str) -> None:
    Store(tmp_path / "progression.db").close()
    result = run_cli("copy-db", source, target.format(port=free_port()), cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("progression-bot: ") and says in line
    assert "s3cret" not in line


# A real database, a folder, a text file and a path in a folder that does not exist, by name.
PATH_MISTAKES = [
    ("FROM", "data", "is a folder, not a database file; name a file, such as data/progression.db"),
    ("FROM", "notes.txt", "is not a SQLite database; name progression-bot's database"),
    ("FROM", "missing.db", "does not exist, so there is no database to read there; point FROM at"),
    ("TO", "data", "is a folder, not a database file; name a file, such as data/progression.db"),
    ("TO", "nowhere/new.db", "is in a folder that does not exist ("),
    ("TO", "notes.txt", "is not a SQLite database; name progression-bot's database, or a new"),
]


def _operators_folder(folder: Path) -> list[Path]:
    """What an operator has before copy-db: a database, a folder and notes; all it holds after."""
    Store(folder / "progression.db").close()
    (folder / "data").mkdir()
    (folder / "notes.txt").write_text("phase 3 went well\n")
    return sorted(folder.rglob("*"))


@pytest.mark.parametrize("spelling", ["{}", "sqlite:///{}"], ids=["a path", "sqlite:///"])
@pytest.mark.parametrize(("argument", "name", "says"), PATH_MISTAKES)
def test_copy_db_names_the_argument_whose_path_cannot_work(
    tmp_path: Path, spelling: str, argument: str, name: str, says: str
) -> None:
    before = _operators_folder(tmp_path)
    given = spelling.format(name)
    source, target = (given, "copy.db") if argument == "FROM" else ("progression.db", given)
    result = run_cli("copy-db", source, target, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"progression-bot: {argument} {name} ({tmp_path / name}): {says}")
    assert "PROGRESSION_DB" not in line
    assert result.stdout == ""
    assert sorted(tmp_path.rglob("*")) == before  # no copy.db, nothing added to FROM's folder


@pytest.mark.parametrize("name", ["data", "notes.txt"])
def test_copy_db_to_postgresql_names_from_before_connecting(tmp_path: Path, name: str) -> None:
    _operators_folder(tmp_path)
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/x"
    result = run_cli("copy-db", name, closed, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"progression-bot: FROM {name} ({tmp_path / name}): ")


@pytest.mark.parametrize("name", ["data", "notes.txt", "nowhere/new.db"])
def test_copy_db_from_postgresql_names_to(tmp_path: Path, target: str, name: str) -> None:
    Store(target).close()  # a district already on PostgreSQL, copied back to a SQLite file
    before = _operators_folder(tmp_path)
    result = run_cli("copy-db", target, name, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"progression-bot: TO {name} ({tmp_path / name}): ")
    assert "PROGRESSION_DB" not in line
    assert sorted(tmp_path.rglob("*")) == before
