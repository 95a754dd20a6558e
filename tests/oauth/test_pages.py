"""The pages of Add to Slack pass axe-core with no serious violation, and say what happened."""

from __future__ import annotations

from typing import Any

import pytest

from bot.views.install_pages import failure_page, install_page, installed_page
from tests.workspace.test_browser import AXE

PAGES = {
    "install": install_page("https://slack.com/oauth/v2/authorize?client_id=1&state=s&scope=x"),
    "installed": installed_page("Lincoln <Unified>", org_wide=False),
    "installed org-wide": installed_page("Region Four", org_wide=True),
    "cancelled": failure_page("access_denied"),
    "expired state": failure_page("invalid_state"),
    "Slack's own error": failure_page("<script>alert(1)</script>"),
}


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_accessibility_violation(browser: Any, name: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(PAGES[name])
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run()")
    finally:
        context.close()
    found = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert found == [], name


def test_what_a_page_shows_is_escaped() -> None:
    assert "Lincoln &lt;Unified&gt;" in PAGES["installed"]
    assert "<script>" not in PAGES["Slack's own error"]
    assert "&lt;script&gt;" in PAGES["Slack's own error"]
