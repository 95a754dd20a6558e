"""Breaks that cannot be meant are refused, and a break already stored that hides every nudge
ahead is reported by each command instead of breaking the workspace (signed requests to the
running app, which uses the real clock)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from progression.calendar import SchoolBreak
from store import Store
from tests.bot.test_manage_http import ask
from tests.conftest import RunningApp
from tests.slack.signing import SlackSender
from tests.slack.web_api import SlackWebAPI

ADMIN = "UADMINBRK"
_teams = itertools.count(1)


def _next_monday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def team(api: SlackWebAPI) -> str:
    api.add_user(ADMIN, is_admin=True)
    return f"TB{next(_teams):04d}"


@pytest.mark.parametrize(
    ("end", "says"),
    [
        ("2037-01-01", "days long, and a break is at most a school year"),
        ("9999-12-31", "days long, and a break is at most a school year"),
    ],
)
def test_a_break_with_a_mistyped_year_is_refused_and_not_stored(
    slack: SlackSender, api: SlackWebAPI, team: str, end: str, says: str
) -> None:
    said = ask(slack, api, f"skip {_next_monday().isoformat()} {end}", team, ADMIN, "CBAD1")
    assert says in said and "is a year mistyped?" in said
    assert "No school breaks recorded" in ask(slack, api, "skips", team, ADMIN, "CBAD1")
    assert "The next one: *Monday" in ask(slack, api, "schedule", team, ADMIN, "CBAD1")


def test_a_stored_break_hiding_every_nudge_is_reported_never_fatal(
    slack: SlackSender, api: SlackWebAPI, http_app: RunningApp, team: str
) -> None:
    assert "now gets one *Teacher* move a week" in ask(
        slack, api, "subscribe teacher", team, ADMIN, "CW1"
    )
    # As an older version stored it, before breaks were checked.
    store = Store(http_app.db)
    start = _next_monday() - timedelta(days=7)
    store.add_break(team, SchoolBreak(start, date(9999, 12, 31)), ADMIN, datetime.now(UTC))
    store.close()

    replies = {
        text: ask(slack, api, text, team, ADMIN, "CW1")
        for text in ("schedule", "subscriptions", "preview", "next", "progress", "skips")
    }
    for text, said in replies.items():
        assert "Something went wrong" not in said, text
    assert "No nudge ahead" in replies["schedule"] and "unskip" in replies["schedule"]
    assert "No nudge ahead" in replies["preview"]
    assert "no nudge ahead" in replies["subscriptions"].lower()
    assert "to Friday 31 December 9999" in replies["skips"]
    assert f"`/progression unskip {start.isoformat()}`" in replies["skips"]
    subscribe = ask(slack, api, "subscribe leader", team, ADMIN, "CW2")
    assert "cannot start" in subscribe and "school break" in subscribe

    removed = ask(slack, api, f"unskip {start.isoformat()}", team, ADMIN, "CW1")
    assert "Removed the break" in removed and "The next nudge: *" in removed
    assert "Preview: this is what this channel gets on" in ask(
        slack, api, "preview", team, ADMIN, "CW1"
    )
