"""The Web API client every Slack call goes through, pointed at SLACK_API_URL."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.observe import metrics
from bot.settings import Settings
from store import Store
from store.installations import WorkspaceNotInstalled

# Slack shows an error to a person whose request is not answered in 3 seconds.
REQUEST_TIMEOUT_SECONDS = 2.5
# A Web API method's name (`chat.postMessage`) or Slack's error name (`not_in_channel`): what
# may become a label. Anything else (a file upload's URL) is counted under "other".
_METHOD = re.compile(r"[a-z]+(\.[A-Za-z]+){1,3}")
_ERROR = re.compile(r"[a-z0-9_]{1,64}")


class CountCalls(RetryHandler):
    """Counts every attempt of every Web API call by method and outcome
    (`progression_slack_api_calls_total`), and never retries: first in the client's handlers,
    slack_sdk shows it each attempt's answer (or failure) before the handlers that retry.

    `retries = False`: `scheduler.limits.without_retries` keeps it when it drops the others."""

    retries = False

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        metrics.count_api_call(api_method(request.url), call_outcome(response, error))
        return False


def api_method(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name if _METHOD.fullmatch(name) else "other"


def call_outcome(response: HttpResponse | None, error: Exception | None) -> str:
    """ok, Slack's error name, 429, 5xx, 4xx, timeout or connection_error."""
    if response is None:
        reason = error.reason if isinstance(error, URLError) else error
        return (
            "timeout" if isinstance(reason, TimeoutError | socket.timeout) else "connection_error"
        )
    status = response.status_code
    if status == 429:
        return "429"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    body = response.body
    if body is None and response.data:
        try:
            body = json.loads(response.data)
        except ValueError:
            body = None
    if not isinstance(body, dict):
        return "not_json"
    if body.get("ok"):
        return "ok"
    name = body.get("error")
    return name if isinstance(name, str) and _ERROR.fullmatch(name) else "error"


def slack_client(settings: Settings, *, retries: int = 3, in_request: bool = False) -> WebClient:
    """A client that honours 429 Retry-After and retries 5xx and connection errors.

    `in_request`: the client Bolt hands to listeners, which answer Slack within 3 seconds: it
    never sleeps out a Retry-After or a backoff, and gives up before Slack would. With metrics
    on in this process (`bot.observe.metrics.enable`), every attempt is counted.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    handlers: list[RetryHandler] = [CountCalls()] if metrics.enabled() else []
    if not in_request:
        handlers += [
            ConnectionErrorRetryHandler(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
        ]
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=int(REQUEST_TIMEOUT_SECONDS) if in_request else 10,
        retry_handlers=handlers,
    )


def workspace_clients(
    settings: Settings, store: Store, *, retries: int = 3, in_request: bool = False
) -> Callable[[str], WebClient]:
    """Multi-workspace mode: a workspace's client, carrying the token of its installation (its
    own, or its org's), read from the store at each call, so a token replaced there is used at
    once by every process. WorkspaceNotInstalled when there is none."""

    def client_for(team_id: str) -> WebClient:
        row = store.workspace_installation_row(team_id)
        if row is None:
            raise WorkspaceNotInstalled(team_id)
        client = slack_client(settings, retries=retries, in_request=in_request)
        client.token = str(row["bot_token"])
        return client

    return client_for
