"""Installations and OAuth states in the store, on SQLite and PostgreSQL, through slack_sdk's
`InstallationStore` and `OAuthStateStore` interfaces."""

from __future__ import annotations

import pytest
from slack_sdk.oauth.installation_store import Installation

from store import Store
from store.installations import StoredInstallations, StoredOAuthStates


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _installation(
    team: str | None, *, enterprise: str | None = None, **more: object
) -> Installation:
    values: dict[str, object] = {
        "app_id": "A0APP",
        "enterprise_id": enterprise,
        "team_id": team,
        "team_name": f"Team {team}",
        "bot_token": f"xoxb-{team or enterprise}",
        "bot_id": f"B{team or enterprise}",
        "bot_user_id": f"U{team or enterprise}",
        "bot_scopes": "commands,chat:write",
        "user_id": "UINSTALLER",
        "installed_at": 1_800_000_000.0,
    }
    values.update(more)
    return Installation(**values)  # type: ignore[arg-type]


def test_a_workspace_installation_is_found_for_its_workspace_only(store: Store) -> None:
    installations = StoredInstallations(store)
    installations.save(_installation("T1"))
    installations.save(_installation("T2"))
    bot = installations.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-T1" and bot.bot_user_id == "UT1"
    assert bot.bot_scopes == ["commands", "chat:write"]
    found = installations.find_installation(enterprise_id=None, team_id="T2")
    assert found is not None and found.bot_token == "xoxb-T2" and found.user_id == "UINSTALLER"
    assert installations.find_bot(enterprise_id=None, team_id="T3") is None
    assert store.installed_teams() == ["T1", "T2"]


def test_a_reinstall_replaces_the_token(store: Store) -> None:
    installations = StoredInstallations(store)
    installations.save(_installation("T1"))
    installations.save(_installation("T1", bot_token="xoxb-T1-again"))
    bot = installations.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-T1-again"


def test_an_org_wide_install_is_found_for_every_workspace_of_the_org(store: Store) -> None:
    installations = StoredInstallations(store)
    # Saved with a team id as Bolt may pass one: it must still answer for the whole org.
    installations.save(_installation("T9", enterprise="E1", is_enterprise_install=True))
    for team in ("T1", "T2", "T9"):
        bot = installations.find_bot(enterprise_id="E1", team_id=team, is_enterprise_install=True)
        assert bot is not None and bot.bot_token == "xoxb-T9", team
        assert bot.enterprise_id == "E1" and bot.team_id is None and bot.is_enterprise_install
    # A request that does not say it is org-wide finds it too; another org's does not.
    assert installations.find_bot(enterprise_id="E1", team_id="T3") is not None
    assert installations.find_bot(enterprise_id="E2", team_id="T1") is None
    assert installations.find_bot(enterprise_id=None, team_id="T1") is None
    # The workspaces seen are the org's, for the work done in them later.
    assert store.installed_teams() == ["T1", "T2", "T3", "T9"]
    row = store.workspace_installation_row("T2")
    assert row is not None and row["bot_token"] == "xoxb-T9" and row["enterprise_id"] == "E1"


def test_a_workspace_of_its_own_in_an_org_keeps_its_own_token(store: Store) -> None:
    installations = StoredInstallations(store)
    installations.save(_installation(None, enterprise="E1", is_enterprise_install=True))
    installations.save(_installation("T1", enterprise="E1"))
    bot = installations.find_bot(enterprise_id="E1", team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-T1"
    other = installations.find_bot(enterprise_id="E1", team_id="T2")
    assert other is not None and other.bot_token == "xoxb-E1"


def test_a_user_token_alone_never_hides_the_bot(store: Store) -> None:
    installations = StoredInstallations(store)
    installations.save(_installation("T1"))
    later = Installation(
        team_id="T1", user_id="U2", user_token="xoxp-user", installed_at=1_900_000_000.0
    )
    installations.save(later)
    bot = installations.find_bot(enterprise_id=None, team_id="T1")
    found = installations.find_installation(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-T1"
    assert found is not None and found.bot_token == "xoxb-T1" and found.user_token is None


def test_web_workers_are_never_handed_a_refresh_token(store: Store) -> None:
    StoredInstallations(store).save(
        _installation("T1", bot_refresh_token="xoxe-1-refresh", bot_token_expires_in=43200)
    )
    worker = StoredInstallations(store).find_bot(enterprise_id=None, team_id="T1")
    runner = StoredInstallations(store, hand_out_refresh_tokens=True).find_bot(
        enterprise_id=None, team_id="T1"
    )
    assert worker is not None and worker.bot_refresh_token is None
    assert runner is not None and runner.bot_refresh_token == "xoxe-1-refresh"
    assert runner.bot_token_expires_at is not None


def test_deleting_an_installation(store: Store) -> None:
    installations = StoredInstallations(store)
    installations.save(_installation("T1"))
    installations.save(_installation("T2"))
    installations.delete_all(enterprise_id=None, team_id="T1")
    assert installations.find_bot(enterprise_id=None, team_id="T1") is None
    assert installations.find_bot(enterprise_id=None, team_id="T2") is not None


def test_a_state_is_accepted_once_by_any_worker(database: str, store: Store) -> None:
    clock = Clock()
    issued = StoredOAuthStates(store, clock=clock).issue()
    other_worker = Store(database)
    try:
        states = StoredOAuthStates(other_worker, clock=clock)
        assert states.consume(issued) is True
        assert states.consume(issued) is False  # single-use
        assert StoredOAuthStates(store, clock=clock).consume(issued) is False
    finally:
        other_worker.close()


@pytest.mark.parametrize(("after", "accepted"), [(599.0, True), (600.0, False), (3600.0, False)])
def test_a_state_expires_in_ten_minutes(store: Store, after: float, accepted: bool) -> None:
    clock = Clock()
    states = StoredOAuthStates(store, clock=clock)
    issued = states.issue()
    clock.now += after
    assert states.consume(issued) is accepted


def test_a_forged_state_is_refused(store: Store) -> None:
    states = StoredOAuthStates(store, clock=Clock())
    states.issue()
    assert states.consume("forged") is False
    assert states.consume("") is False


def test_issuing_clears_expired_states(store: Store) -> None:
    clock = Clock()
    states = StoredOAuthStates(store, clock=clock)
    for _ in range(3):
        states.issue()
    clock.now += 601
    states.issue()
    with store.backend.session() as db:
        assert db.value("select count(*) from oauth_states") == 1
