"""The store: SQLite (a file) or PostgreSQL (a URL), migrations applied on open."""

from __future__ import annotations

from pathlib import Path

from store.backend import (
    BACKGROUND_POOL_SIZE,
    BACKGROUND_WRITE_WAIT_SECONDS,
    POOL_SIZE,
    WRITE_WAIT_SECONDS,
    Backend,
    StoreError,
)
from store.checkoffs import CheckoffStore
from store.digests import DigestStore
from store.forget import ForgetStore
from store.group import GroupCommit
from store.installations import InstallationRows
from store.leases import LeaseStore
from store.members import MemberStore
from store.migrations_pg import MIGRATIONS_TABLE
from store.nudges import NudgeStore
from store.opening import open_backend
from store.outbox import RunnerStore
from store.requests import RequestStore
from store.writers import between_processes

__all__ = [
    "BACKGROUND_POOL_SIZE",
    "BACKGROUND_WRITE_WAIT_SECONDS",
    "WRITE_WAIT_SECONDS",
    "Store",
]


class Store(
    NudgeStore,
    CheckoffStore,
    DigestStore,
    RequestStore,
    LeaseStore,
    MemberStore,
    RunnerStore,
    ForgetStore,
    InstallationRows,
):
    """Named operations over the progression database; safe to share between threads.

    `target` is what `PROGRESSION_DB` holds: a file path or `sqlite:///FILE` for SQLite (one
    connection per thread, so `:memory:` would give each thread a different database: tests
    use a temporary file), or `postgresql://USER@HOST:5432/DATABASE` (a pool of connections).
    `create=False` refuses a SQLite file that does not exist yet, or a PostgreSQL database
    without the app's tables (commands that only read); a path that cannot be this app's
    database is refused either way, with `store.paths.DatabasePathError`. A write waits
    `write_wait` seconds for another writer's lock, then fails as busy (`store.busy.is_busy`).
    `migrated=True`: another process has just brought the schema up to date (`serve` before
    its web workers start), so nothing is asked of the database until it is used: a worker
    started while the database is away answers "busy" instead of failing to start.
    `pool_size`: PostgreSQL connections this process opens at most.
    """

    def __init__(
        self,
        target: Path | str,
        *,
        create: bool = True,
        write_wait: float = WRITE_WAIT_SECONDS,
        setting: str = "PROGRESSION_DB",
        migrated: bool = False,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self.write_wait = write_wait
        self._backend: Backend = open_backend(
            target,
            setting,
            create=create,
            write_wait=write_wait,
            lazy=migrated,
            pool_size=pool_size,
        )
        writes = between_processes(self._backend)
        self._group = GroupCommit(writes, self._backend.groups_commits)
        # PostgreSQL's commits share WAL flushes, so its writers each have their own transaction
        # (check-offs went faster so), except in the weekly bursts of claims and confirmations:
        # for 100 workspaces at one slot, sharing halved the server's CPU and the time to the
        # last post went from 10 s to 7 (benchmarks/many_workspaces.py --postgres).
        self._burst = self._group if self._backend.groups_commits else GroupCommit(writes)
        if migrated:
            return
        try:
            if not create:
                self._refuse_unless_created(setting)
            self.migrate()
        except BaseException:
            self._backend.close()
            raise

    def _refuse_unless_created(self, setting: str) -> None:
        """A command that only reads finds no progression-bot database on a PostgreSQL server
        `serve` never started on: said, rather than migrated into an empty one (SQLite's
        missing file is refused before it is opened, by `check_database_path`)."""
        if self._backend.kind != "postgresql":
            return
        with self._backend.session() as db:
            found = db.value(
                "select count(*) from information_schema.tables "
                "where table_schema = current_schema() and table_name = ?",
                [MIGRATIONS_TABLE],
            )
        if not found:
            sign = "=" if setting == "PROGRESSION_DB" else " "
            raise StoreError(
                f"{setting}{sign}{self._backend.label}: there is no progression-bot database "
                f"there (no {MIGRATIONS_TABLE} table); point {setting} at the database "
                "`progression-bot serve` uses"
            )

    @property
    def kind(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._backend.kind

    @property
    def backend(self) -> Backend:
        return self._backend

    def migrate(self) -> None:
        """Bring the schema up to date; safe when several processes open it at once."""
        self._backend.migrate()

    def backup(self, target: Path) -> None:
        """A consistent copy of the live database at `target` (SQLite's online backup),
        written beside it and renamed into place; PostgreSQL has pg_dump for that."""
        self._backend.backup(target)

    def release(self) -> None:
        """This thread is done with the store (a fan-out worker, a scheduler job): its own
        SQLite connection is closed; PostgreSQL's pooled connections are already back."""
        self._backend.release()

    def close(self) -> None:
        """Done with the store: this thread's SQLite connection, or the PostgreSQL pool."""
        self._backend.close()
