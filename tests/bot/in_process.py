"""The app in the test's own process: each request goes through `app.dispatch(BoltRequest(...))`,
signed as Slack signs it, as bolt-python's tests/scenario_tests do. Slack's Web API is the
stand-in (a real HTTP server on 127.0.0.1) and the database a file of the test's own; the work
after the ack runs on the app's own threads, as it does when served.

For the listeners' logic. What a process does (gunicorn, Socket Mode, the request guard in
front of Bolt) keeps its tests against `serve` in a process of its own (tests/conftest.py).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from bot.app import create_app
from bot.context import utc_now
from bot.settings import Settings
from bot.slack.after_ack import AfterAck
from progression.model import Progression
from store import Store
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack.signing import (
    TEAM_ID,
    block_actions_body,
    event_callback,
    sign,
    slash_command_body,
)
from tests.slack.web_api import SlackWebAPI

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class Reply:
    """What Bolt answered: the HTTP response Slack would get."""

    status: int
    body: str
    headers: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def said(self) -> str:
        """Every text of a JSON reply, to look for words in."""
        return json.dumps(self.json(), ensure_ascii=False) if self.body else ""


class InProcess:
    """The Bolt app `create_app` builds, and signed requests to it."""

    def __init__(self, app: App, store: Store, settings: Settings, api: SlackWebAPI) -> None:
        self.app, self.store, self.settings, self.api = app, store, settings, api
        self.clock: Callable[[], float] = time.time  # the signatures' timestamps

    @property
    def db(self) -> Path:
        return Path(self.settings.progression_db)

    @property
    def after_ack(self) -> AfterAck:
        executor = self.app.listener_runner.listener_executor
        assert isinstance(executor, AfterAck)
        return executor

    def settle(self) -> None:
        """Wait until the work handed over after the ack is finished."""
        self.after_ack.shutdown(wait=True)  # the next hand-over starts a new pool

    def command(self, text: str, **fields: str) -> Reply:
        """`/progression TEXT`; `fields` override `slash_command_body`'s."""
        body = urllib.parse.urlencode(slash_command_body(text, **fields))
        return self.raw(body, FORM)

    def event(self, event: dict[str, Any], team_id: str = TEAM_ID, **fields: Any) -> Reply:
        envelope = event_callback(event, team_id=team_id, **fields)
        return self.raw(json.dumps(envelope), JSON)

    def action(self, action_id: str, value: str, **fields: Any) -> Reply:
        body = urllib.parse.urlencode(block_actions_body(action_id, value, **fields))
        return self.raw(body, FORM)

    def raw(self, body: str, content_type: str, **headers: str) -> Reply:
        """`body`, signed now, with `headers` besides."""
        return self.dispatch(self.signed(body, content_type, **headers))

    def signed(self, body: str, content_type: str, **headers: str) -> BoltRequest:
        signed = sign(SIGNING_SECRET, body.encode(), int(self.clock()))
        return BoltRequest(body=body, headers={"content-type": content_type, **signed, **headers})

    def dispatch(self, request: BoltRequest) -> Reply:
        response: BoltResponse = self.app.dispatch(request)
        return Reply(response.status, str(response.body), dict(response.headers))


def settings_for(api: SlackWebAPI, db: Path | str, **settings: str) -> Settings:
    """The settings of an app against the stand-in; `settings` by their environment names
    (`PROGRESSION_MANAGERS="U1"`)."""
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.url,
        "PROGRESSION_DB": str(db),
        **settings,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextmanager
def app_in_process(
    api: SlackWebAPI,
    db: Path | str,
    progression: Progression,
    clock: Callable[[], datetime] = utc_now,
    **settings: str,
) -> Iterator[InProcess]:
    """`create_app` as `serve --http` builds it, but with Bolt checking the signatures (no
    request guard in front), against the stand-in; `db` a SQLite file or a PostgreSQL URL."""
    loaded = settings_for(api, db, **settings)
    store = Store(loaded.progression_db)
    running = InProcess(
        create_app(loaded, store, progression=progression, clock=clock), store, loaded, api
    )
    api.clear()  # Bolt's auth.test at start-up
    try:
        yield running
    finally:
        api.faults.release()  # a test that failed holding Slack's answers would wait here forever
        running.settle()
        store.close()
