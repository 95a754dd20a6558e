"""What every part of the store runs its SQL through: the backend and the group commit."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from store.backend import Backend, Params, Session
from store.group import GroupCommit

T = TypeVar("T")


class StoreBase:
    """The backend's sessions, one statement at a time, or a transaction of several."""

    _backend: Backend
    _group: GroupCommit
    _burst: GroupCommit  # shares a transaction on either database (see Store.__init__)

    def _rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        with self._backend.session() as session:
            return session.rows(sql, params)

    def _one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        with self._backend.session() as session:
            return session.one(sql, params)

    def _value(self, sql: str, params: Params = ()) -> Any:
        with self._backend.session() as session:
            return session.value(sql, params)

    def _execute(self, sql: str, params: Params = ()) -> int:
        """One statement, committed on its own; the rows it changed."""
        with self._backend.session() as session:
            return session.execute(sql, params)

    def _write(self, sql: str, params: Params = ()) -> int:
        """One statement through the group commit; the rows it changed."""
        return self._group.run(lambda session: session.execute(sql, params))

    def _burst_write(self, sql: str, params: Params = ()) -> int:
        """One statement of a burst that comes all at once: the claims and confirmations of a
        window's posts, for a hundred workspaces at a slot. Shared with the burst's other
        writers in one transaction, on PostgreSQL too."""
        return self._burst.run(lambda session: session.execute(sql, params))

    def _settle_sending(self, table: str, team_id: str) -> int:
        """The workspace's claims in `table` (deliveries, weekly_posts) still `sending`
        become `unconfirmed`; how many. Mostly there are none: read first, so that a slot's
        many runs starting together do not queue for the write lock to change nothing."""
        sending = f"select 1 from {table} where team_id = ? and state = 'sending' limit 1"
        if self._one(sending, [team_id]) is None:
            return 0
        return self._execute(
            f"update {table} set state = 'unconfirmed' where team_id = ? and state = 'sending'",
            [team_id],
        )

    def _grouped(self, work: Callable[[Session], T]) -> T:
        """Several statements in one transaction, shared with concurrent writers."""
        return self._group.run(work)

    def _transaction(self) -> AbstractContextManager[Session]:
        return self._backend.transaction()
