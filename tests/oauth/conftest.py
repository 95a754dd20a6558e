"""Fixtures for Add to Slack: a deployment's database on SQLite and on PostgreSQL, the scheduler
tests' store of the test's own and bundled progression, and Chromium as the local workspace's
browser tests use it."""

from collections.abc import Iterator

import pytest

from tests.conftest import RunningApp, stop_app
from tests.oauth.flow import CLIENT_SECRET, start_multi_workspace_app
from tests.postgres import fresh_database
from tests.scheduler.conftest import progression, store
from tests.slack.web_api import SlackWebAPI
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


@pytest.fixture(scope="module")
def deployment(
    slack_api: SlackWebAPI, tmp_path_factory: pytest.TempPathFactory, deployment_db: str
) -> Iterator[RunningApp]:
    """`serve --http` in multi-workspace mode (its web workers, no runner) on `deployment_db`;
    its output never shows the client secret."""
    workdir = tmp_path_factory.mktemp("deployment-app")
    app = start_multi_workspace_app(slack_api, workdir, "--no-runner", db=deployment_db)
    yield app
    stop_app(app)
    assert CLIENT_SECRET not in app.output()
