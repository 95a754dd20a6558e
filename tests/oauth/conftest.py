"""Fixtures for Add to Slack: a deployment's database on SQLite and on PostgreSQL, the scheduler
tests' store of the test's own and bundled progression, and Chromium as the local workspace's
browser tests use it."""

from collections.abc import Iterator

import pytest

from tests.postgres import fresh_database
from tests.scheduler.conftest import progression, store
from tests.workspace.conftest import browser

__all__ = ["browser", "progression", "store"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def deployment_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The deployment's database: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("deployment") / "progression.db")
        return
    with fresh_database() as url:
        yield url
