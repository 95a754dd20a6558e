"""The Web API client every Slack call goes through, pointed at SLACK_API_URL."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings
from store import Store
from store.installations import WorkspaceNotInstalled

# Slack shows an error to a person whose request is not answered in 3 seconds.
REQUEST_TIMEOUT_SECONDS = 2.5


def slack_client(settings: Settings, *, retries: int = 3, in_request: bool = False) -> WebClient:
    """A client that honours 429 Retry-After and retries 5xx and connection errors.

    `in_request`: the client Bolt hands to listeners, which answer Slack within 3 seconds: it
    never sleeps out a Retry-After or a backoff, and gives up before Slack would.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    handlers: list[RetryHandler] = (
        []
        if in_request
        else [
            ConnectionErrorRetryHandler(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
        ]
    )
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
