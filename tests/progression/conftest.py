"""Fixtures for the pure domain: the seed documents and the bundled progression."""

from __future__ import annotations

from pathlib import Path

import pytest

from progression.load import SOURCES, load_progression
from progression.model import Progression

OLD_SEED = SOURCES / "000_9f029c16380eafa2.txt"
NEW_SEED = SOURCES / "001_5e6ccc602f74d59b.txt"


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    """The source documents shipped in the repo, older first, as `import` takes them."""
    return [OLD_SEED, NEW_SEED]


@pytest.fixture(scope="session")
def bundled() -> Progression:
    return load_progression()
