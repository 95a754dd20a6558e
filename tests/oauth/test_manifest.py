"""The manifest and multi-workspace mode agree: the scopes asked for and the redirect URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import yaml

from bot.settings import Settings
from bot.slack.installing import BOT_SCOPES, REDIRECT_PATH, authorize_url
from tests.conftest import ROOT


def test_add_to_slack_asks_for_the_manifests_bot_scopes_and_returns_to_its_redirect() -> None:
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert urlsplit(redirect).path == REDIRECT_PATH


def test_slacks_authorize_page_is_beside_its_web_api() -> None:
    slack = Settings(SLACK_API_URL="https://slack.com/api/")
    assert authorize_url(slack) == "https://slack.com/oauth/v2/authorize"
    local = Settings(SLACK_API_URL="http://127.0.0.1:8000/api/")
    assert authorize_url(local) == "http://127.0.0.1:8000/oauth/v2/authorize"
