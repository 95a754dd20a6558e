"""Forgetting a workspace: every row the store keeps about it, deleted in one transaction.

For a district that asks for its data to be deleted (`progression-bot forget --team T`), and
for the runner once a workspace that left has been gone longer than its retention."""

from __future__ import annotations

from store.base import StoreBase
from store.leases import fanout_lease

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
)


class ForgetStore(StoreBase):
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
