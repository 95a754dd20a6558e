"""The store's contract: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from store import Store


def table(store: Store, name: str) -> list[dict[str, Any]]:
    """Every row of a table, as the database holds it (for what no named operation shows)."""
    with store.backend.session() as session:
        return session.rows(f'select * from "{name}"')
