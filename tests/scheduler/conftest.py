"""Fixtures for the scheduler's tests: the bundled progression and a store of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from progression.load import load_progression
from progression.model import Progression
from store import Store


@pytest.fixture(scope="module")
def progression() -> Progression:
    return load_progression()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "progression.db")
    yield store
    store.close()
