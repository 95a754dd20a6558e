"""Fixtures for the pure domain: the seed documents and the bundled progression."""

from __future__ import annotations

from pathlib import Path

import pytest

from progression.load import load_progression
from progression.model import Progression

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
OLD_SEED = SEEDS / "000_9f029c16380eafa2.txt"
NEW_SEED = SEEDS / "001_5e6ccc602f74d59b.txt"


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    """The source documents, older first, as `progression-bot import` takes them."""
    if not (OLD_SEED.exists() and NEW_SEED.exists()):
        pytest.skip(f"seed documents not found in {SEEDS}")
    return [OLD_SEED, NEW_SEED]


@pytest.fixture(scope="session")
def bundled() -> Progression:
    return load_progression()
