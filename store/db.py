"""The store: SQLite (a file) or PostgreSQL (a URL), migrations applied on open."""

from __future__ import annotations

import threading
from pathlib import Path

from store.backend import Backend, open_backend
from store.checkoffs import CheckoffStore
from store.group import GroupCommit
from store.nudges import NudgeStore


class Store(NudgeStore, CheckoffStore):
    """Named operations over the progression database; safe to share between threads.

    `target` is what `PROGRESSION_DB` holds: a file path or `sqlite:///FILE` for SQLite (one
    connection per thread), or `postgresql://USER@HOST:5432/DATABASE` (a pool of connections).
    """

    def __init__(self, target: Path | str, *, setting: str = "PROGRESSION_DB") -> None:
        self._opened_by = threading.get_ident()
        self._backend: Backend = open_backend(target, setting)
        self._group = GroupCommit(self._backend.transaction)
        try:
            self.migrate()
        except BaseException:
            self._backend.close()
            raise

    @property
    def kind(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._backend.kind

    @property
    def backend(self) -> Backend:
        return self._backend

    def migrate(self) -> None:
        self._backend.migrate()

    def close(self) -> None:
        """This thread is done with the store. The thread that opened it closes it for good
        (PostgreSQL's pool too); any other thread (a fan-out worker, a scheduler job) lets go
        of its own SQLite connection only, and the store goes on serving the others."""
        if threading.get_ident() == self._opened_by:
            self._backend.close()
        else:
            self._backend.release()
