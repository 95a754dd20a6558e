"""Forgetting a workspace deletes every row about it and nothing about any other, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from progression.calendar import SchoolBreak, WeeklySlot
from store import Store
from store.checkoffs import ReactionChange
from store.forget import WORKSPACE_TABLES
from tests.store import table

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TS = "1700000000.000100"


def fill(store: Store, team: str) -> None:
    """Something in every table a workspace has rows in, as the app writes it."""
    at = NOW.timestamp()
    store.set_schedule(team, WeeklySlot(0, time(8, 0), "UTC"), NOW)
    store.add_break(team, SchoolBreak(date(2026, 12, 21), date(2027, 1, 1)), "U0", NOW)
    store.set_digest_schedule(team, 4, "14:00", True, NOW)
    store.subscribe(team, "C1", "teacher", (), "U0", "2026-W50", NOW, campus="Lincoln")
    store.claim_delivery(
        team, "C1", "2026-W50", role="teacher", ref="1.7", round=1, owner="test", now=NOW
    )
    store.confirm_delivery(team, "C1", "2026-W50", TS, NOW)
    change = ReactionChange(team, "C1", TS, "1.7", "U1", "white_check_mark", True, NOW, 1, at)
    store.record_reaction(change, f"Ev{team}", at, look_up_user=True)
    store.record_checkoff(team, "C1", "1.8", "U2", NOW, TS)
    store.claim_post("digest", team, "C1", "2026-W50", "test", NOW)
    store.remember_channels(team, "U1", ["C1"], at, "all")
    store.remember_channel(team, "C1", "lincoln-teachers", 12, at)
    store.remember_manager(team, "U0", True, at)
    store.remember_user(team, "U1", False, NOW)
    store.mark_departed(team, "the app was uninstalled", NOW)
    # Multi-workspace mode: its installation, in an org.
    row = {"enterprise_id": "E1", "team_id": team, "is_enterprise_install": 0}
    store.save_installation_row({**row, "bot_token": f"xoxb-{team}", "installed_at": at})
    store.remember_enterprise_team("E1", team)


def counts(store: Store, team: str) -> dict[str, int]:
    return {t: sum(r["team_id"] == team for r in table(store, t)) for t in WORKSPACE_TABLES}


def test_forgetting_a_workspace_deletes_its_rows_and_no_others(store: Store) -> None:
    fill(store, "T1")
    fill(store, "T2")
    before = counts(store, "T1")
    assert all(before.values()), before  # every table had something to forget
    assert store.workspace_rows("T1") == before

    deleted = store.forget_workspace("T1")

    assert deleted == before
    assert not any(counts(store, "T1").values())
    assert counts(store, "T2") == before  # the other workspace is untouched
    assert store.subscriptions("T1") == [] and len(store.subscriptions("T2")) == 1
    assert store.forget_workspace("T1") == dict.fromkeys(WORKSPACE_TABLES, 0)


def test_every_table_with_a_workspace_column_is_forgotten(store: Store) -> None:
    # A table added later with a team_id column and not named in WORKSPACE_TABLES would keep
    # a forgotten workspace's rows.
    with store.backend.session() as session:
        if store.kind == "sqlite":
            tables = [
                t
                for t in store.backend.tables()
                if any(c["name"] == "team_id" for c in session.rows(f'pragma table_info("{t}")'))
            ]
        else:
            rows = session.rows(
                "select table_name as name from information_schema.columns "
                "where table_schema = current_schema() and column_name = 'team_id'"
            )
            tables = [r["name"] for r in rows]
    assert sorted(tables) == sorted(WORKSPACE_TABLES)
