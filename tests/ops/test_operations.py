"""A web worker's answers to operators, in-process through its WSGI app: who may read
/metrics (loopback, PROGRESSION_METRICS_ALLOW, the bearer token; 403 and 401 for the rest),
/readyz on SQLite and PostgreSQL, metrics off, Slack's requests counted by kind and answer, and
Slack's app_rate_limited notice answered at the edge and handed to the runner."""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.edge.startup import guarded_wsgi_app
from bot.observe import metrics
from bot.observe.access import MetricsAccess
from bot.observe.readiness import readiness
from bot.settings import load_settings
from scheduler.runner import RUNNER_LEASE
from store import Store
from tests.bot.in_process import FORM, settings_for
from tests.conftest import SIGNING_SECRET
from tests.slack.signing import TEAM_ID, sign, slash_command_body
from tests.slack.web_api import SlackWebAPI

TOKEN = "0123456789abcdef0123456789abcdef"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def call(worker: Any, path: str, method: str = "GET", **environ: Any) -> Answer:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: object) -> None:
        got["status"], got["headers"] = int(status.split()[0]), dict(headers)

    base: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
    }
    body: Iterable[bytes] = worker({**base, **environ}, start_response)
    return Answer(got["status"], got["headers"], b"".join(body))


def signed_post(worker: Any, body: bytes, content_type: str) -> Answer:
    headers = sign(SIGNING_SECRET, body, int(datetime.now(UTC).timestamp()))
    environ = {
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    return call(worker, "/slack/events", "POST", **environ)


@pytest.fixture
def worker_for(api: SlackWebAPI, tmp_path: Path) -> Iterator[Any]:
    stores: list[Store] = []

    def build(**settings: str) -> tuple[Any, Store]:
        built = settings_for(api, tmp_path / "p.db", **settings)
        store = Store(built.progression_db)
        stores.append(store)
        return guarded_wsgi_app(built, store), store

    yield build
    for store in stores:
        store.close()


@pytest.mark.parametrize(
    ("remote", "authorization", "settings", "status"),
    [
        pytest.param("127.0.0.1", "", {}, 200, id="loopback"),
        pytest.param("127.8.9.10", "", {}, 200, id="all of 127/8"),
        pytest.param("::1", "", {}, 200, id="IPv6 loopback"),
        pytest.param("::ffff:127.0.0.1", "", {}, 200, id="IPv4-mapped loopback"),
        pytest.param("10.1.2.3", "", {}, 403, id="another host"),
        pytest.param("", "", {}, 403, id="no address"),
        pytest.param(
            "10.1.2.3", "", {"PROGRESSION_METRICS_ALLOW": "10.1.0.0/16"}, 200, id="allowed"
        ),
        pytest.param(
            "10.2.2.3", "", {"PROGRESSION_METRICS_ALLOW": "10.1.0.0/16"}, 403, id="outside"
        ),
        pytest.param(
            "203.0.113.9",
            f"Bearer {TOKEN}",
            {"PROGRESSION_METRICS_TOKEN": TOKEN},
            200,
            id="the token",
        ),
        pytest.param(
            "203.0.113.9",
            f"bearer {TOKEN}",
            {"PROGRESSION_METRICS_TOKEN": TOKEN},
            200,
            id="the token, scheme in any case",
        ),
        pytest.param(
            "203.0.113.9",
            "Bearer 0000000000000000",
            {"PROGRESSION_METRICS_TOKEN": TOKEN},
            401,
            id="a wrong token",
        ),
        pytest.param(
            "203.0.113.9",
            f"Basic {TOKEN}",
            {"PROGRESSION_METRICS_TOKEN": TOKEN},
            401,
            id="not a bearer token",
        ),
        pytest.param("203.0.113.9", f"Bearer {TOKEN}", {}, 401, id="a token when none is set"),
        pytest.param("203.0.113.9", "", {"PROGRESSION_METRICS_TOKEN": TOKEN}, 403, id="no token"),
    ],
)
def test_who_may_read_metrics(
    worker_for: Any, remote: str, authorization: str, settings: dict[str, str], status: int
) -> None:
    worker, _ = worker_for(**settings)
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    answer = call(worker, "/metrics", REMOTE_ADDR=remote, **extra)
    assert answer.status == status
    if status == 200:
        assert answer.headers["Content-Type"].startswith("text/plain; version=")
        assert b"progression_database_up 1.0" in answer.body
    else:
        assert b"progression" not in answer.body
    if status == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_access_rule_reads_its_settings() -> None:
    settings = load_settings(
        PROGRESSION_METRICS_ALLOW="10.0.0.0/8", PROGRESSION_METRICS_TOKEN=TOKEN
    )
    access = MetricsAccess.from_settings(settings)
    assert access.token == TOKEN and [str(n) for n in access.networks] == ["10.0.0.0/8"]


def test_metrics_off_is_no_metrics_but_still_readiness(worker_for: Any) -> None:
    worker, store = worker_for(PROGRESSION_METRICS="off")
    assert call(worker, "/metrics").status == 404
    store.take_lease(RUNNER_LEASE, "elsewhere:1", datetime.now(UTC).timestamp(), 30)
    assert call(worker, "/readyz").status == 200
    assert call(worker, "/healthz").body == b"ok\n"


def test_readiness_needs_the_database_and_a_live_runner_lease(database: str) -> None:
    store = Store(database)
    now = datetime.now(UTC).timestamp()
    try:
        missing = readiness(store, now, 30)
        assert not missing.ready
        assert missing.line == (
            "not ready: no runner has renewed the runner lease in the last 30 s "
            "(PROGRESSION_RUNNER_LEASE)"
        )
        store.take_lease(RUNNER_LEASE, "otherhost:42", now - 10, 30)  # another host's
        assert readiness(store, now, 30).ready
        assert not readiness(store, now + 21, 30).ready  # lapsed: not renewed for 30 s
    finally:
        store.close()


def test_a_database_that_does_not_answer_is_not_ready() -> None:
    # Nothing listens on the discard port; opened lazily, as a web worker opens it.
    store = Store("postgresql://progression@127.0.0.1:9/progression", migrated=True)
    try:
        state = readiness(store, datetime.now(UTC).timestamp(), 30)
    finally:
        store.close()
    assert not state.ready
    assert state.line.startswith("not ready: the database does not answer (")
    assert "\n" not in state.line


def test_requests_are_counted_by_kind_and_answer(worker_for: Any) -> None:
    metrics.enable()
    worker, _ = worker_for()
    labels = {"kind": "command", "answer": "2xx"}
    before = REGISTRY.get_sample_value("progression_slack_requests_total", labels) or 0.0
    acks = REGISTRY.get_sample_value("progression_slack_ack_seconds_count", {"kind": "command"})
    form = urllib.parse.urlencode(slash_command_body("phase 3")).encode()
    assert signed_post(worker, form, FORM).status == 200
    after = REGISTRY.get_sample_value("progression_slack_requests_total", labels)
    assert after == before + 1
    assert (
        REGISTRY.get_sample_value("progression_slack_ack_seconds_count", {"kind": "command"})
        == (acks or 0.0) + 1
    )
    refused = {"kind": "refused", "answer": "4xx"}
    before = REGISTRY.get_sample_value("progression_slack_requests_total", refused) or 0.0
    assert call(worker, "/slack/events", "POST", CONTENT_LENGTH="0").status == 401
    assert REGISTRY.get_sample_value("progression_slack_requests_total", refused) == before + 1


def test_app_rate_limited_is_answered_counted_and_handed_to_the_runner(worker_for: Any) -> None:
    metrics.enable()
    worker, store = worker_for()
    before = REGISTRY.get_sample_value("progression_slack_app_rate_limited_total") or 0.0
    notice = {
        "token": "deprecated",
        "type": "app_rate_limited",
        "team_id": TEAM_ID,
        "minute_rate_limited": 1518467820,
        "api_app_id": "A0APP",
    }
    answer = signed_post(worker, json.dumps(notice).encode(), "application/json")
    assert answer.status == 200
    assert REGISTRY.get_sample_value("progression_slack_app_rate_limited_total") == before + 1
    [work] = store.pending_work("notice")
    assert work.team_id == TEAM_ID and work.subject.startswith("rate_limited ")
