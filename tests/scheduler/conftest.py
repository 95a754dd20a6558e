"""Fixtures for the scheduler's tests: the bundled progression and a store of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from progression.load import load_progression
from progression.model import Progression
from store import Store


@pytest.fixture(scope="module")
def progression() -> Progression:
    return load_progression()


@pytest.fixture
def store(database: str) -> Iterator[Store]:
    """A store of the test's own, on SQLite and on PostgreSQL (tests/postgres.py)."""
    store = Store(database)
    yield store
    store.close()
