"""Check-offs: who completed which move in which channel."""

from __future__ import annotations

from sqlite_utils import Database


class CheckoffStore:
    """Mixed into `Store`."""

    @property
    def db(self) -> Database:
        """This thread's connection."""
        raise NotImplementedError

    def checked_refs(self, team_id: str, channel_id: str) -> set[str]:
        """The moves someone in the channel has checked off."""
        rows = self.db.execute(
            "select distinct ref from checkoffs where team_id = ? and channel_id = ?",
            [team_id, channel_id],
        ).fetchall()
        return {r[0] for r in rows}
