"""Multi-workspace mode: Bolt's OAuth flow ("Add to Slack") over the store's installations and
states, and the authorize that finds each request's workspace token there.

Web workers never refresh a token (Bolt's authorize would, near expiry): the installations
they read come without their refresh tokens, and their authorize has no client secret to
refresh with. Refresh tokens are single-use, so only one process may use them."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.settings import Settings
from bot.views.install_pages import INSTALL_PATH, failure_page, install_page, installed_page
from store import Store
from store.installations import StoredInstallations, StoredOAuthStates

logger = logging.getLogger("progression_bot")

REDIRECT_PATH = "/slack/oauth_redirect"
# What a person is told when their workspace has no installation (Bolt's authorize found none).
NOT_INSTALLED_MESSAGE = (
    ":warning: Progression is not installed in this workspace (or was removed from it). "
    "Someone who may add apps can install it again with *Add to Slack*."
)
# The manifest's bot scopes (app_manifest.yml; tests/oauth checks they stay the same).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "reactions:read",
    "users:read",
    "channels:read",
    "groups:read",
    "files:write",
)


def authorize_url(settings: Settings) -> str:
    """Slack's authorize page beside its Web API: https://slack.com/oauth/v2/authorize for
    https://slack.com/api/ (and a stand-in's own for a stand-in)."""
    return settings.slack_api_url.removesuffix("/").removesuffix("/api") + "/oauth/v2/authorize"


def oauth_flow(
    settings: Settings, store: Store, client: WebClient, clock: Callable[[], float]
) -> tuple[OAuthFlow, InstallationStoreAuthorize]:
    """Bolt's OAuth flow with our pages, and the authorize a web worker's requests use."""
    installations = StoredInstallations(store, clock=clock)
    assert settings.slack_client_id and settings.slack_client_secret  # multi-workspace mode
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorize_url(settings),
        callback_options=CallbackOptions(
            success=_installed_in(store, clock), failure=_not_installed
        ),
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=StoredOAuthStates(store, clock=clock),
        logger=_oauth_logger(),
    )
    authorize = InstallationStoreAuthorize(
        logger=_oauth_logger(),
        installation_store=installations,
        bot_only=True,
        # auth.test once a token per process, not once a request; a new token is a new entry.
        cache_enabled=True,
    )
    return _Flow(client=client, logger=_oauth_logger(), settings=oauth_settings), authorize


class _Flow(OAuthFlow):
    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_page(url)


def _installed_in(
    store: Store, clock: Callable[[], float]
) -> Callable[[SuccessArgs], BoltResponse]:
    """The success page; a workspace that had removed the app is welcomed back first: its
    subscriptions and history, kept, are in use again and its weekly work is armed."""

    def installed(args: SuccessArgs) -> BoltResponse:
        team_id = args.installation.team_id
        if team_id and not args.installation.is_enterprise_install:
            if store.welcome_back(team_id, datetime.fromtimestamp(clock(), UTC)):
                logger.info("%s installed the app again: its data is kept", team_id)
        return _installed(args)

    return installed


def _installed(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    org_wide = bool(installation.is_enterprise_install)
    name = (installation.enterprise_name if org_wide else installation.team_name) or (
        installation.enterprise_id if org_wide else installation.team_id
    )
    logger.info(
        "Installed in %s %s",
        "org" if org_wide else "workspace",
        installation.enterprise_id if org_wide else installation.team_id,
    )
    return _html(200, installed_page(str(name or "your workspace"), org_wide))


def _not_installed(args: FailureArgs) -> BoltResponse:
    logger.info("An installation did not complete: %s", _reason_name(args.reason))
    status = args.suggested_status_code if args.reason != "access_denied" else 200
    return _html(status, failure_page(args.reason))


def _html(status: int, body: str) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=body,
        headers={"content-type": "text/html; charset=utf-8", "cache-control": "no-store"},
    )


def _reason_name(reason: str) -> str:
    """A reason fit for the log: Slack's error names are short words; anything else is not
    logged as it came (it is a query parameter anyone can send)."""
    return reason if re.fullmatch(r"[a-z_]{1,40}", reason) else "an unreadable error"


class _NoCodeInLog(logging.Filter):
    """Bolt's flow logs the code with oauth.v2.access's refusal: keep only the error's name."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Failed to fetch oauth.v2.access"):
            found = re.search(r"'error': '([a-z_]+)'", message)
            record.msg = "oauth.v2.access refused an installation: %s"
            record.args = (found.group(1) if found else "an unreadable answer",)
        return True


def _oauth_logger() -> logging.Logger:
    oauth = logging.getLogger("progression_bot.oauth")
    if not any(isinstance(f, _NoCodeInLog) for f in oauth.filters):
        oauth.addFilter(_NoCodeInLog())
    return oauth
