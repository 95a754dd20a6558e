"""Apps built in the test's own process (tests/bot/in_process.py)."""

from __future__ import annotations

import os

import pytest

from progression.load import load_progression
from progression.model import Progression


@pytest.fixture(scope="session")
def bundled_progression() -> Progression:
    return load_progression()


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the machine running the tests reaches an app built in their process."""
    for name in os.environ:
        if name.startswith(("SLACK_", "PROGRESSION_")) and name != "PROGRESSION_TEST_POSTGRES":
            monkeypatch.delenv(name)
