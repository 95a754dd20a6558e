"""docs/deploying.md's multi-workspace section tells the truth: its settings choose that mode,
and its nginx lines pass on the paths the app serves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import load_settings
from bot.slack.installing import REDIRECT_PATH
from bot.views.install_pages import INSTALL_PATH
from tests.conftest import ROOT

SECTION = (ROOT / "docs" / "deploying.md").read_text().split("## 11. Many workspaces")[1]


def test_the_settings_shown_choose_multi_workspace_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    [block] = re.findall(r"```ini\n(.*?)```", SECTION, re.S)
    shown = dict(line.split("=", 1) for line in block.splitlines())
    assert load_settings(**shown).multi_workspace


def test_nginx_passes_on_the_pages_of_add_to_slack() -> None:
    [block] = re.findall(r"```nginx\n(.*?)```", SECTION, re.S)
    assert re.findall(r"location = (\S+)", block) == [INSTALL_PATH, REDIRECT_PATH]
    assert f"https://slack.example.org{REDIRECT_PATH}" in SECTION
