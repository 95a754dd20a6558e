"""A district's whole history from one database to another (SQLite to PostgreSQL, usually).

Every table of the store is copied as it is, in one transaction on the target, and then
counted on both sides: a copy that does not add up is an error, never a silent loss.
"""

from __future__ import annotations

from progression.wording import counted
from store.backend import StoreError, one_line
from store.db import Store

BATCH = 1000


def open_source(value: str) -> Store:
    """The database to copy from; a SQLite file must already exist (opening would create it)."""
    return Store(value, create=False, setting="FROM")


def copy_database(source: Store, target: Store) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; the rows per table, verified."""
    source_migrations = source.backend.applied_migrations()
    target_migrations = target.backend.applied_migrations()
    if source_migrations != target_migrations:
        raise StoreError(
            "FROM and TO have different migrations "
            f"({len(source_migrations)} and {len(target_migrations)}): "
            "run the same progression-bot version on both"
        )
    tables = source.backend.tables()
    missing = sorted(set(tables) - set(target.backend.tables()))
    if missing:
        raise StoreError(f"TO has no table {missing[0]}: it is not a progression-bot database")
    held = {t: n for t, n in _counts(target, tables).items() if n}
    if held:
        first, count = next(iter(held.items()))
        raise StoreError(
            f"TO already holds data ({first}: {counted(count, 'row')}): "
            "copy-db fills an empty database only"
        )
    with source.backend.session() as reading, target.backend.transaction() as writing:
        for table in tables:
            rows = reading.rows(f'select * from "{table}"')
            if not rows:
                continue
            columns = list(rows[0])
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            insert = f'insert into "{table}" ({names}) values ({marks})'
            try:
                for start in range(0, len(rows), BATCH):
                    batch = rows[start : start + BATCH]
                    writing.execute_many(insert, ([row[c] for c in columns] for row in batch))
            except Exception as error:  # the database's own reason, on one line
                raise StoreError(f"TO refused the rows of {table}: {one_line(error)}") from None
    copied, expected = _counts(target, tables), _counts(source, tables)
    for table in tables:
        if copied[table] != expected[table]:
            raise StoreError(
                f"TO has {copied[table]} rows of {table} where FROM has {expected[table]}: "
                "the copy is incomplete"
            )
    return copied


def _counts(store: Store, tables: list[str]) -> dict[str, int]:
    with store.backend.session() as session:
        return {t: int(session.value(f'select count(*) as n from "{t}"')) for t in tables}
