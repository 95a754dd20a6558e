"""A process opens at most its pool's PostgreSQL connections however many threads ask, so that
an operator can size the server's `max_connections`: a web worker 16, a runner 8."""

from __future__ import annotations

import threading
import time

import psycopg

from store import Store


def test_many_threads_share_a_pool_of_its_size(postgres_target: str) -> None:
    store = Store(postgres_target, pool_size=3)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            store.subscriptions("T1")
        store.release()

    readers = [threading.Thread(target=read) for _ in range(12)]
    most = 0
    with psycopg.connect(postgres_target, autocommit=True) as admin:
        for reader in readers:
            reader.start()
        try:
            deadline = time.monotonic() + 2.0  # bounded: a few hundred looks
            while time.monotonic() < deadline:
                row = admin.execute(
                    "select count(*) from pg_stat_activity "
                    "where datname = current_database() and pid <> pg_backend_pid()"
                ).fetchone()
                assert row is not None
                most = max(most, int(row[0]))
        finally:
            stop.set()
            for reader in readers:
                reader.join()
            store.close()
    assert 2 <= most <= 3, most
