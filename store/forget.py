"""Workspaces that leave, and forgetting one: every row the store keeps about it, deleted in one
transaction.

A workspace that removes the app (`app_uninstalled`, or its bot token revoked) is marked as
departed: its background work stops at once, and its data is kept for the retention days, so
that a reinstall picks up where it left off; then the runner forgets it. A district that asks
for its data to be deleted now runs `progression-bot forget --team T`."""

from __future__ import annotations

from datetime import datetime

from store.base import StoreBase
from store.leases import fanout_lease
from store.outbox import enqueue

# Every table whose rows belong to one workspace (its `team_id` column), children first.
# tests/store/test_forget.py checks the schema against it: a new table with a `team_id`
# column must be named here, or forgetting a workspace would leave its rows behind.
WORKSPACE_TABLES = (
    "checkoff_reactions",
    "checkoffs",
    "deliveries",
    "weekly_posts",
    "outbox",
    "channel_members",
    "channel_sizes",
    "member_checks",
    "manager_checks",
    "slack_users",
    "skips",
    "digest_schedules",
    "schedules",
    "subscriptions",
    "departures",
    # Multi-workspace mode: its installation (an org-wide one is the org's, not the workspace's)
    # and which org it is in.
    "installations",
    "enterprise_teams",
)


class ForgetStore(StoreBase):
    def mark_departed(self, team_id: str, reason: str, now: datetime) -> bool:
        """The workspace removed the app; False when it was already marked (the events that
        say so come in either order, and more than once: the first one's time counts). Its
        installation is deleted; the runner re-arms it (which stops its jobs) and, after the
        retention, forgets its data."""
        with self._transaction() as db:
            marked = db.execute(
                "insert into departures (team_id, reason, left_at) values (?, ?, ?) "
                "on conflict do nothing",
                [team_id, reason, now.isoformat()],
            )
            # Its installation (multi-workspace mode) goes at once: its token is dead. An
            # org-wide installation is the org's, and stays.
            db.execute("delete from installations where team_id = ?", [team_id])
            if marked:
                enqueue(db, "arm", team_id, "", now.timestamp())
                enqueue(db, "forget", team_id, "", now.timestamp())
        return marked == 1

    def departed_at(self, team_id: str) -> datetime | None:
        """When the workspace removed the app (None: it has not, or came back)."""
        value = self._value("select left_at from departures where team_id = ?", [team_id])
        return None if value is None else datetime.fromisoformat(value)

    def departed_teams(self) -> set[str]:
        return {r["team_id"] for r in self._rows("select team_id from departures")}

    def welcome_back(self, team_id: str, now: datetime) -> bool:
        """The workspace installed the app again: its data, kept, is in use again and its
        jobs are armed. False when it had not left."""
        with self._transaction() as db:
            back = db.execute("delete from departures where team_id = ?", [team_id])
            if back:
                enqueue(db, "arm", team_id, "", now.timestamp())
        return back == 1

    def workspace_rows(self, team_id: str) -> dict[str, int]:
        """How many rows each table holds about the workspace."""
        with self._backend.session() as session:
            return {
                table: int(
                    session.value(f"select count(*) from {table} where team_id = ?", [team_id])
                )
                for table in WORKSPACE_TABLES
            }

    def forget_workspace(self, team_id: str) -> dict[str, int]:
        """Delete every row about the workspace (and its fan-out lease), all or nothing; the
        rows deleted per table."""
        with self._transaction() as db:
            deleted = {
                table: db.execute(f"delete from {table} where team_id = ?", [team_id])
                for table in WORKSPACE_TABLES
            }
            db.execute("delete from leases where name = ?", [fanout_lease(team_id)])
        return deleted
