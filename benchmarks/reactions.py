"""10,000 reaction events from 2,000 users over HTTP, 10% of them Slack-style retries.

    .venv/bin/python -m benchmarks.reactions [--events 10000] [--users 2000] [--connections 16]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

The app runs as `progression-bot serve --http` (gunicorn) against the local Slack stand-in, with
a few confirmed nudges in its database. Every event is signed as Slack signs it; a retry repeats
an earlier event's body and `event_id` with `X-Slack-Retry-Num`/`-Reason`. They are sent as fast
as the app takes them over keep-alive connections. Then the database is checked (every
completion recorded exactly once) and `chat.update` calls are counted against Slack's Tier 3
(about 50 a minute per workspace). Baseline, measured in the same run: a bare Bolt app on the
same gunicorn stack whose reaction listeners only ack (`benchmarks/bare_app.py`).

With `--postgres SERVER_URL` the app's database is PostgreSQL instead of SQLite: a database of
the benchmark's own on that server, created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bare_app import start_bare_app
from benchmarks.loadgen import Connection, Result, http_request, send_one
from tests.conftest import SIGNING_SECRET, app_env, free_port, start_http_app, stop_app
from tests.slack.signing import TEAM_ID, event_callback, reaction_event, sign
from tests.slack.web_api import SlackWebAPI

HOST = "127.0.0.1"
NUDGES = 5
TS = "1700000000.{:06d}"
SLACK_UPDATES_PER_MINUTE = 50


@dataclass(frozen=True)
class Event:
    body: bytes
    retry: int


def build_events(count: int, users: int, seed: int = 7) -> tuple[list[Event], set[tuple[str, str]]]:
    """`count` events: 90% distinct ones (some a second check emoji on the same nudge), 10%
    retries of an earlier event; and the (user, channel) completions they should leave."""
    rng = random.Random(seed)
    distinct = count - count // 10
    pairs = [(f"U{u:05d}", f"CB{n:03d}") for u in range(users) for n in range(NUDGES)]
    rng.shuffle(pairs)
    firsts = pairs[: distinct * 9 // 10]
    seconds = rng.sample(firsts, distinct - len(firsts))  # same person, same nudge, other emoji
    unique = [(u, c, "white_check_mark") for u, c in firsts]
    unique += [(u, c, "heavy_check_mark::skin-tone-2") for u, c in seconds]
    rng.shuffle(unique)
    bodies = []
    for n, (user, channel, emoji) in enumerate(unique):
        nudge = int(channel[2:])
        event = reaction_event(
            "reaction_added", user=user, reaction=emoji, channel=channel, ts=TS.format(nudge + 1)
        )
        callback = event_callback(event, event_id=f"EvB{n:07d}", team_id=TEAM_ID)
        bodies.append(json.dumps(callback).encode())
    events = [Event(body, 0) for body in bodies]
    # Each retry goes in somewhat after its original, as Slack's retries come later.
    for original in rng.sample(range(len(bodies)), count - distinct):
        at = min(len(events), original + rng.randint(1, 400))
        events.insert(at, Event(bodies[original], 1))
    return events, set(firsts)


def signed(port: int, event: Event) -> bytes:
    headers = sign(SIGNING_SECRET, event.body, int(time.time()))
    headers["Content-Type"] = "application/json"
    if event.retry:
        headers["X-Slack-Retry-Num"] = str(event.retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return http_request(HOST, port, "/slack/events", event.body, headers)


async def send_all(port: int, requests: Sequence[bytes], connections: int) -> Result:
    """Every request once, over `connections` keep-alive connections, back to back."""
    result = Result()
    queue = iter(requests)

    async def worker() -> None:
        conn = Connection(HOST, port)
        for raw in queue:
            await send_one(conn, raw, time.perf_counter(), result)
        await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - start
    return result


def add_nudges(db: Path | str) -> None:
    from store import Store

    now = datetime.now(UTC)
    store = Store(db)
    for n in range(NUDGES):
        channel = f"CB{n:03d}"
        store.subscribe(TEAM_ID, channel, "teacher", (), "U0", "2026-W01", now)
        store.claim_delivery(
            TEAM_ID, channel, "2026-W48", role="teacher", ref="1.7", round=1, owner="bench", now=now
        )
        store.confirm_delivery(TEAM_ID, channel, "2026-W48", TS.format(n + 1), now)
    store.close()


def check_database(db: Path | str, expected: set[tuple[str, str]]) -> tuple[int, bool]:
    from store import Store

    store = Store(db)
    with store.backend.session() as session:
        rows = session.rows(
            "select user_id, channel_id, count(*) as n from checkoffs "
            "group by team_id, channel_id, ref, user_id"
        )
    store.close()
    recorded = {(r["user_id"], r["channel_id"]) for r in rows}
    return len(rows), recorded == expected and all(r["n"] == 1 for r in rows)


def wait_for_final_counts(api: SlackWebAPI, expected: set[tuple[str, str]], timeout: float) -> bool:
    """Wait until the last update of every nudge shows its final count."""
    want = {
        TS.format(n + 1): sum(1 for _, c in expected if c == f"CB{n:03d}") for n in range(NUDGES)
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last: dict[str, str] = {}
        for call in api.calls("chat.update"):
            last[str(call.params["ts"])] = str(call.params.get("blocks"))
        if all(f"{n} done" in last.get(ts, "") for ts, n in want.items()):
            return True
        time.sleep(0.25)  # polling what another process sends, not a schedule
    return False


def max_per_minute(times: Sequence[float]) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 60:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--postgres", metavar="SERVER_URL", help="run the app on PostgreSQL, on this server"
    )
    args = parser.parse_args()

    events, expected = build_events(args.events, args.users)
    with contextlib.ExitStack() as stack:
        api = stack.enter_context(SlackWebAPI())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        db: Path | str = workdir / "progression.db"
        if args.postgres:
            from tests.postgres import fresh_database

            db = stack.enter_context(fresh_database(args.postgres))
        env = app_env(api, db)
        add_nudges(db)
        bare_port = free_port()
        bare = start_bare_app(env, bare_port)
        ours = start_http_app(env, workdir)
        ours_port = int(ours.url.rsplit(":", 1)[1])
        try:
            baseline = asyncio.run(
                send_all(bare_port, [signed(bare_port, e) for e in events], args.connections)
            )
            api.clear()
            started = time.monotonic()
            result = asyncio.run(
                send_all(ours_port, [signed(ours_port, e) for e in events], args.connections)
            )
            recorded, exact = check_database(db, expected)
            settled = wait_for_final_counts(api, expected, timeout=120)
            updates = [c.at for c in api.calls("chat.update")]
            lookups = len(api.calls("users.info"))
            window = time.monotonic() - started
        finally:
            bare.terminate()
            bare.wait(timeout=30)
            stop_app(ours)
    report = {
        "database": "postgresql" if args.postgres else "sqlite",
        "events": len(events),
        "retries": sum(1 for e in events if e.retry),
        "users": args.users,
        "connections": args.connections,
        "baseline_events_per_second": baseline.per_second,
        "baseline_errors": baseline.errors,
        "events_per_second": result.per_second,
        "errors": result.errors,
        "p50_ms": result.median() * 1000,
        "p99_ms": result.percentile(99) * 1000,
        "completions_expected": len(expected),
        "completions_recorded": recorded,
        "exactly_once": exact,
        "final_counts_shown": settled,
        "chat_update_calls": len(updates),
        "chat_update_max_per_minute": max_per_minute(updates),
        "chat_update_window_seconds": window,
        "users_info_calls": lookups,
    }
    _print(report)
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    name = "reactions-postgresql.json" if args.postgres else "reactions.json"
    (out / name).write_text(json.dumps(report, indent=2))


def _print(r: dict[str, float | int | bool | str]) -> None:
    print(
        f"{r['events']} reaction events ({r['retries']} retried duplicates) from {r['users']} "
        f"users, {r['connections']} keep-alive connections, on {r['database']}"
    )
    print("| app | events/s | p50 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| bare Bolt app (reaction listener acks only) | {r['baseline_events_per_second']:.0f} "
        f"| | | {r['baseline_errors']} |"
    )
    print(
        f"| progression-bot (records each check-off) | {r['events_per_second']:.0f} "
        f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |"
    )
    print()
    print("| check | result |")
    print("| --- | --- |")
    print(
        f"| completions recorded / expected | {r['completions_recorded']} / "
        f"{r['completions_expected']} ({'each exactly once' if r['exactly_once'] else 'WRONG'}) |"
    )
    print(
        f"| chat.update calls | {r['chat_update_calls']} in "
        f"{r['chat_update_window_seconds']:.0f} s; at most {r['chat_update_max_per_minute']} "
        f"in any minute (Slack Tier 3: ~{SLACK_UPDATES_PER_MINUTE}/min per workspace) |"
    )
    print(f"| final counts on every nudge | {'right' if r['final_counts_shown'] else 'WRONG'} |")
    print(f"| users.info look-ups (bot check, once per user) | {r['users_info_calls']} |")


if __name__ == "__main__":
    main()
