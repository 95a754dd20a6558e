"""A PostgreSQL server of the test's own: initdb in a temporary folder, started and stopped (fast,
or crashed) by the test itself, never the machine's shared server.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
(Debian's package creates it) in a folder it owns. Without the server binaries the test skips,
saying which package gives them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port

SERVER_HINT = (
    "a PostgreSQL server of the test's own needs initdb and pg_ctl: apt-get install postgresql"
)


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


@dataclass
class OwnPostgres:
    """One server: `url` for the app, `stop(mode)` and `start()` for the faults."""

    bin_dir: Path
    data: Path
    port: int
    log: Path
    user: str | None  # run as this system user (when the tests run as root)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin_dir / command[0]), *command[1:]]
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, cwd="/"
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories="
        ran = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr + self.log.read_text()

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session at once; `immediate` is a crash (no shutdown checkpoint)."""
        ran = self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        assert ran.returncode == 0, ran.stdout + ran.stderr

    @property
    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A fresh server on a free port of 127.0.0.1, trust authentication; removed afterwards."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip(SERVER_HINT)
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("as root, a server of the test's own runs as the postgres user: none here")
        user = "postgres"
    place = Path(tempfile.mkdtemp(prefix="progression-own-pg-"))
    place.chmod(0o755)
    data, log = place / "data", place / "server.log"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(place, entry.pw_uid, entry.pw_gid)
    server = OwnPostgres(bin_dir, data, free_port(), log, user)
    try:
        ran = server._run(
            "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("fsync = off\nmax_connections = 200\n")  # a test server: speed, not safety
        server.start()
        yield server
    finally:
        if server.running:
            with suppress(AssertionError):
                server.stop("immediate")
        shutil.rmtree(place, ignore_errors=True)


def wait_for_server(url: str, timeout: float = 30) -> None:
    """Until the server takes connections again (after `start()`)."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "the test's own server did not come back"
            time.sleep(0.1)  # polling a server's start, not a schedule


@pytest.fixture
def own_server() -> Iterator[OwnPostgres]:
    with own_postgres() as server:
        yield server
