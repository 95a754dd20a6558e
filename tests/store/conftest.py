"""The store under test: a new one per test, on SQLite and on PostgreSQL (`database`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from store import Store


@pytest.fixture
def store(database: str) -> Iterator[Store]:
    """On SQLite and on PostgreSQL: the same named operations."""
    store = Store(database)
    yield store
    store.close()
