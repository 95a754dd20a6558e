"""Before serving: Slack accepts the tokens, or one line says what failed and what to do.

What failed is said as it is: a name that could not be looked up, a connection refused, a proxy
or a portal that answered with a web page. SLACK_API_URL is named only when it was set, and a
token only when Slack itself refused it.
"""

from __future__ import annotations

import logging
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env

from bot.settings import README_CREATE_APP, Settings, SettingsError
from bot.slack.client import slack_client

# slack_sdk logs an error of its own for an answer that is not JSON: the one line below says it.
_quiet = logging.getLogger("progression_bot.start_up_checks")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False

# slack_sdk's message for an answer it could not decode as JSON (a web page, most often).
_NOT_JSON = "Received a response in a non-JSON format"


def check_token(settings: Settings) -> dict[str, Any]:
    """`auth.test` with SLACK_BOT_TOKEN; returns who the bot is (team, user_id)."""
    client = _client(settings)
    answer = _call(settings, "SLACK_BOT_TOKEN", lambda: client.auth_test())
    return dict(answer.data) if isinstance(answer.data, dict) else {}


def check_app_token(settings: Settings) -> None:
    """`apps.connections.open` with SLACK_APP_TOKEN, as Socket Mode will call it."""
    assert settings.slack_app_token is not None
    token = settings.slack_app_token.get_secret_value()
    client = _client(settings)
    _call(settings, "SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=token))


def _client(settings: Settings) -> WebClient:
    client = slack_client(settings, retries=1)
    client._logger = _quiet  # what slack_sdk's client logs through; it takes no setter
    return client


def _call(settings: Settings, token_name: str, call: Any) -> Any:
    try:
        return call()
    except SlackApiError as error:
        code = str(error.response.get("error", ""))
        if code.startswith(_NOT_JSON) or _is_web_page(error):
            raise SettingsError(_web_page(settings, error.response.status_code)) from None
        raise SettingsError(
            f"{token_name} was refused by Slack ({code}): {README_CREATE_APP}"
        ) from None
    except OSError as error:
        raise SettingsError(_unreachable(settings, error)) from None


def _is_web_page(error: SlackApiError) -> bool:
    content_type = str(error.response.headers.get("content-type", ""))
    return "html" in content_type.lower()


def _where(settings: Settings) -> tuple[str, str]:
    """What was asked (the URL, the proxy) and what to check when it did not work."""
    proxy = load_http_proxy_from_env()
    asked = settings.slack_api_url + (
        f" through the proxy {_without_password(proxy)}" if proxy else ""
    )
    checks = []
    if "slack_api_url" in settings.model_fields_set:
        asked = f"SLACK_API_URL {asked}"
        checks.append("SLACK_API_URL")
    if proxy:
        checks.append("the proxy (HTTPS_PROXY)")
    if not checks:
        checks.append("this machine's network and DNS")
    return asked, "check " + " and ".join(checks)


def _unreachable(settings: Settings, error: OSError) -> str:
    asked, check = _where(settings)
    reason: Any = getattr(error, "reason", error)  # urllib wraps the cause in URLError
    host = urlsplit(settings.slack_api_url).hostname
    if isinstance(reason, socket.gaierror):
        what = f"the name {host} could not be looked up ({reason.strerror})"
    elif isinstance(reason, ConnectionRefusedError):
        what = "the connection was refused (nothing listens there)"
    elif isinstance(reason, TimeoutError):
        what = "no answer in time"
    elif isinstance(reason, ssl.SSLError):
        what = f"TLS failed ({reason.reason or reason})"
    else:
        what = str(reason)
    return f"could not reach Slack at {asked}: {what}; {check}"


def _web_page(settings: Settings, status: int) -> str:
    asked, check = _where(settings)
    return (
        f"Slack at {asked} answered with a web page (HTTP {status}), not Slack's API: a proxy, "
        f"firewall or captive portal answered instead; {check}"
    )


def _without_password(url: str) -> str:
    """A proxy URL fit for a message: its user and password left out."""
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return parts._replace(netloc=host).geturl() if parts.username else url
