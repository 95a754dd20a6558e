"""The schema is the same on both databases, and migrating is safe from several processes."""

from __future__ import annotations

import threading
from pathlib import Path

from store import Store
from store.migrations import migrations
from store.migrations_pg import postgres_migrations
from tests.postgres import fresh_database


def test_every_migration_has_its_postgresql_twin() -> None:
    sqlite_names = [m.name for m in migrations._migrations]
    assert [m.name for m in postgres_migrations] == sqlite_names


def _sqlite_shape(store: Store) -> dict[str, tuple[list[str], list[str]]]:
    """Each table's columns and primary key, as SQLite has them."""
    shape = {}
    with store.backend.session() as session:
        for name in store.backend.tables():
            columns = session.rows("select name, pk from pragma_table_info(?)", [name])
            keys = sorted((c for c in columns if c["pk"]), key=lambda c: c["pk"])
            shape[name] = (sorted(c["name"] for c in columns), [c["name"] for c in keys])
    return shape


def _postgres_shape(store: Store) -> dict[str, tuple[list[str], list[str]]]:
    shape = {}
    with store.backend.session() as session:
        for name in store.backend.tables():
            columns = session.rows(
                "select column_name from information_schema.columns "
                "where table_schema = current_schema() and table_name = ?",
                [name],
            )
            keys = session.rows(
                "select k.column_name from information_schema.table_constraints c "
                "join information_schema.key_column_usage k "
                "on k.constraint_name = c.constraint_name and k.table_name = c.table_name "
                "and k.table_schema = c.table_schema "
                "where c.table_schema = current_schema() and c.table_name = ? "
                "and c.constraint_type = 'PRIMARY KEY' order by k.ordinal_position",
                [name],
            )
            shape[name] = (
                sorted(c["column_name"] for c in columns),
                [k["column_name"] for k in keys],
            )
    return shape


def test_both_databases_have_the_same_tables_columns_and_keys(tmp_path: Path) -> None:
    sqlite = Store(tmp_path / "p.db")
    with fresh_database() as url:
        postgres = Store(url)
        try:
            assert _postgres_shape(postgres) == _sqlite_shape(sqlite)
            assert postgres.backend.applied_migrations() == sqlite.backend.applied_migrations()
        finally:
            postgres.close()
            sqlite.close()


def test_processes_starting_at_once_migrate_a_new_database_once() -> None:
    with fresh_database() as url:
        opened: list[Store] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(6)

        def start() -> None:
            barrier.wait()
            try:
                opened.append(Store(url))
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        try:
            assert errors == []
            assert len(opened) == 6
            names = [m.name for m in postgres_migrations]
            assert opened[0].backend.applied_migrations() == names
            Store(url).close()  # opening again applies nothing new
            assert opened[0].backend.applied_migrations() == names
        finally:
            for store in opened:
                store.close()
