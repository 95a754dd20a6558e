"""What Slack last said about a person, kept a few minutes so that no worker or host asks again:
which channels they are in (App Home shows and lets a person check off only role channels they
are a member of) and whether they manage the workspace (an admin or owner)."""

from __future__ import annotations

from collections.abc import Iterable

from store.base import StoreBase


class MemberStore(StoreBase):
    """Mixed into `Store`."""

    def remembered_channels(
        self, team_id: str, user_id: str
    ) -> tuple[frozenset[str], float, str] | None:
        """The channels last found for the person, when (seconds since the epoch) and which
        role channels the workspace had then (`covers`); None when never asked."""
        with self._backend.session() as db:
            row = db.one(
                "select checked_at, covers from member_checks where team_id = ? and user_id = ?",
                [team_id, user_id],
            )
            if row is None:
                return None
            channels = db.rows(
                "select channel_id from channel_members where team_id = ? and user_id = ?",
                [team_id, user_id],
            )
        return (
            frozenset(r["channel_id"] for r in channels),
            float(row["checked_at"]),
            str(row["covers"] or ""),
        )

    def remember_channels(
        self, team_id: str, user_id: str, channels: Iterable[str], now: float, covers: str
    ) -> None:
        """Replace what is known of the person's channels with Slack's latest answer."""
        with self._transaction() as db:
            db.execute(
                "delete from channel_members where team_id = ? and user_id = ?", [team_id, user_id]
            )
            db.execute_many(
                "insert into channel_members (team_id, user_id, channel_id) "
                "values (?, ?, ?) on conflict do nothing",
                [(team_id, user_id, channel) for channel in channels],
            )
            db.execute(
                "insert into member_checks (team_id, user_id, checked_at, covers) "
                "values (?, ?, ?, ?) on conflict (team_id, user_id) do update set "
                "checked_at = excluded.checked_at, covers = excluded.covers",
                [team_id, user_id, now, covers],
            )

    def remembered_manager(self, team_id: str, user_id: str) -> tuple[bool, float] | None:
        """Whether Slack said the person is an admin or owner, and when (seconds since the
        epoch); None when never asked."""
        row = self._one(
            "select is_manager, checked_at from manager_checks where team_id = ? and user_id = ?",
            [team_id, user_id],
        )
        return None if row is None else (bool(row["is_manager"]), float(row["checked_at"]))

    def managers_seen(self, team_id: str) -> list[str]:
        """The people Slack last said are admins or owners of the workspace, however long ago."""
        rows = self._rows(
            "select user_id from manager_checks where team_id = ? and is_manager = 1 "
            "order by user_id",
            [team_id],
        )
        return [str(row["user_id"]) for row in rows]

    def remember_manager(self, team_id: str, user_id: str, is_manager: bool, now: float) -> None:
        """Replace what is known of the person with Slack's latest answer."""
        # Through the group commit, so a worker's write takes its turn with the others'.
        self._write(
            "insert into manager_checks (team_id, user_id, is_manager, checked_at) "
            "values (?, ?, ?, ?) on conflict (team_id, user_id) do update set "
            "is_manager = excluded.is_manager, checked_at = excluded.checked_at",
            [team_id, user_id, int(is_manager), now],
        )
