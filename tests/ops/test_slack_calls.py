"""Every Web API attempt is counted by method and outcome (ok, Slack's error name, 429, 5xx,
timeout), through the app's own clients against the Slack stand-in: slack_sdk's retry handlers
see each attempt, and the client the fan-out uses without retries still counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from slack_sdk.errors import SlackApiError

from bot.observe import metrics
from bot.slack.client import CountCalls, api_method, slack_client
from scheduler.limits import without_retries
from tests.bot.in_process import settings_for
from tests.slack.web_api import SlackWebAPI


def counted(method: str, outcome: str) -> float:
    labels = {"method": method, "outcome": outcome}
    return REGISTRY.get_sample_value("progression_slack_api_calls_total", labels) or 0.0


@pytest.fixture
def counting() -> Iterator[None]:
    metrics.enable()
    yield


def test_outcomes_of_each_attempt(counting: None, api: SlackWebAPI, tmp_path: Path) -> None:
    client = slack_client(settings_for(api, tmp_path / "p.db"))
    assert isinstance(client.retry_handlers[0], CountCalls)
    method = "chat.postMessage"
    before = {o: counted(method, o) for o in ("ok", "429", "5xx", "channel_not_found")}

    client.chat_postMessage(channel="C1", text="hello")
    api.faults.rate_limit(method, retry_after=0)
    client.chat_postMessage(channel="C1", text="after a 429")  # retried, then ok
    api.faults.server_error(method, status=503)
    client.chat_postMessage(channel="C1", text="after a 503")  # retried, then ok
    api.faults.fail(method, "channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="refused")

    assert counted(method, "ok") == before["ok"] + 3
    assert counted(method, "429") == before["429"] + 1
    assert counted(method, "5xx") == before["5xx"] + 1
    assert counted(method, "channel_not_found") == before["channel_not_found"] + 1


def test_a_timeout(counting: None, api: SlackWebAPI, tmp_path: Path) -> None:
    client = slack_client(settings_for(api, tmp_path / "p.db"), in_request=True)
    api.faults.delay("users.info", 3.0)  # past the in-request client's timeout
    before = counted("users.info", "timeout")
    try:
        with pytest.raises(TimeoutError):
            client.users_info(user="U1")
    finally:
        api.faults.delay("users.info", 0)
    assert counted("users.info", "timeout") == before + 1


def test_the_fan_outs_client_without_retries_still_counts(
    counting: None, api: SlackWebAPI, tmp_path: Path
) -> None:
    bare = without_retries(slack_client(settings_for(api, tmp_path / "p.db")))
    assert [type(h) for h in bare.retry_handlers] == [CountCalls]
    api.faults.rate_limit("chat.postMessage", retry_after=0)
    before = counted("chat.postMessage", "429")
    with pytest.raises(SlackApiError):
        bare.chat_postMessage(channel="C1", text="not retried")
    assert counted("chat.postMessage", "429") == before + 1


@pytest.mark.parametrize(
    ("url", "method"),
    [
        ("http://127.0.0.1:3/api/chat.postMessage", "chat.postMessage"),
        ("https://slack.com/api/admin.users.session.reset", "admin.users.session.reset"),
        ("https://files.slack.com/upload/v1/CwABAAAAXAoAAa", "other"),
    ],
)
def test_only_method_names_become_labels(url: str, method: str) -> None:
    assert api_method(url) == method
