"""The store's contract: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from store import Store


def table(store: Store, name: str) -> list[dict[str, Any]]:
    """Every row of a table, as the database holds it (for what no named operation shows)."""
    with store.backend.session() as session:
        return session.rows(f'select * from "{name}"')


def fail_updates(store: Store, table_name: str, when: str) -> None:
    """From now on, an update of `table_name` whose new row matches `when` fails as a full
    disk would: a trigger, written for the store's database."""
    if store.kind == "sqlite":
        statements = [
            f"create trigger fail_{table_name} before update on {table_name} when {when} "
            "begin select raise(abort, 'database or disk is full'); end"
        ]
    else:
        statements = [
            f"create or replace function fail_{table_name}() returns trigger language plpgsql "
            f"as $$ begin if {when} then raise exception 'database or disk is full'; end if; "
            "return new; end $$",
            f"create trigger fail_{table_name} before update on {table_name} "
            f"for each row execute function fail_{table_name}()",
        ]
    with store.backend.session() as session:
        for statement in statements:
            session.execute(statement)


def stop_failing(store: Store, table_name: str) -> None:
    on = "" if store.kind == "sqlite" else f" on {table_name}"
    with store.backend.session() as session:
        session.execute(f"drop trigger if exists fail_{table_name}{on}")


def execute(store: Store, sql: str, params: tuple[object, ...] = ()) -> int:
    """One statement straight to the database (what no named operation does)."""
    with store.backend.session() as session:
        return session.execute(sql, params)
