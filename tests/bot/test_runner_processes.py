"""The process model, as deployed: runners under one lease, several app processes on one
database, a runner killed in the middle of a fan-out and its standby finishing the week."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from progression.calendar import WeeklySlot, week_of
from scheduler.jobs import RUNS_AT_ONCE
from scheduler.runner import RUNNER_LEASE
from store import Store
from store.leases import fanout_lease
from tests.bot.answers import final_answer
from tests.bot.nudges import add_nudge
from tests.conftest import (
    APP_TOKEN,
    SIGNING_SECRET,
    RunningApp,
    app_env,
    start_http_app,
    stop_app,
)
from tests.scheduler import post_calls, subscribe
from tests.slack.signing import TEAM_ID, SlackSender, event_callback, reaction_event
from tests.slack.socket_mode import SocketModeServer
from tests.slack.web_api import SlackWebAPI
from tests.store import table

LEASE_SECONDS = "3"  # a standby takes over within seconds, not the default half-minute


def this_week() -> str:
    return week_of(datetime.now(UTC), "UTC")


def due_now(db: Path | str, channels: list[str]) -> None:
    """Role channels whose nudge is due this week whatever the day: the slot is Monday 00:00."""
    store = Store(db)
    try:
        store.set_schedule(TEAM_ID, WeeklySlot(0, clock_time(0, 0), "UTC"), datetime.now(UTC))
        subscribe(store, *channels, team=TEAM_ID)
    finally:
        store.close()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling another process's database, not a schedule


def lease_holder(db: Path | str, name: str = RUNNER_LEASE) -> str | None:
    store = Store(db)
    try:
        lease = store.lease(name)
        return lease.holder if lease and lease.expires_at > time.time() else None
    finally:
        store.close()


def pid_of(holder: str) -> int:
    return int(holder.rpartition(":")[2])


def delivery_states(db: Path | str, channels: list[str]) -> dict[str, list[str]]:
    store = Store(db)
    try:
        return {c: [d.state for d in store.deliveries(TEAM_ID, c)] for c in channels}
    finally:
        store.close()


@dataclass
class RunnerProcess:
    process: subprocess.Popen[str]
    log: Path


@contextmanager
def runners(
    api: SlackWebAPI, db: Path | str, workdir: Path, count: int
) -> Iterator[list[RunnerProcess]]:
    """`progression-bot runner`, `count` times, on one database; stopped with SIGTERM."""
    env = app_env(api, db, PROGRESSION_RUNNER_LEASE=LEASE_SECONDS)
    started = []
    for n in range(count):
        log = workdir / f"runner-{n}.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "runner"],
                cwd=workdir,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
            )
        started.append(RunnerProcess(process, log))
    try:
        yield started
    finally:
        for runner in started:
            if runner.process.poll() is None:
                runner.process.terminate()
        for runner in started:
            try:
                runner.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                runner.process.kill()


def test_sigkill_the_runner_posting_mid_fanout_and_the_other_finishes_the_week(
    api: SlackWebAPI, tmp_path: Path, database: str
) -> None:
    db = database
    channels = [f"C{n:03d}" for n in range(120)]
    due_now(db, channels)
    # Slack slow to answer: posts are in flight when killed.
    api.faults.delay("chat.postMessage", 0.1)

    with runners(api, db, tmp_path, 2) as (first, second):
        api.wait_for("chat.postMessage", 30, timeout=30)
        # The runner posting the workspace's week holds its fan-out lease; kill it.
        holder = lease_holder(db, fanout_lease(TEAM_ID))
        assert holder is not None
        posting, other = (first, second) if first.process.pid == pid_of(holder) else (second, first)
        os.kill(posting.process.pid, signal.SIGKILL)
        posting.process.wait(timeout=10)
        assert other.process.poll() is None

        def week_finished() -> bool:
            states = delivery_states(db, channels).values()
            return all(s and s[0] in ("posted", "unconfirmed") for s in states)

        wait_until(week_finished, 60, "the other runner to finish the week")
        assert lease_holder(db) == f"{holder.rpartition(':')[0]}:{other.process.pid}"
    assert other.process.returncode == 0, other.log.read_text()

    log = other.log.read_text()
    assert f"Taking over the fan-out lease of {TEAM_ID} from {holder}" in log
    sent = post_calls(api)
    assert max(sent.values()) == 1, "a channel was posted twice"
    states = delivery_states(db, channels)
    assert all(len(s) == 1 for s in states.values()), "every channel has its one delivery"
    unconfirmed = [c for c, s in states.items() if s == ["unconfirmed"]]
    posted = [c for c, s in states.items() if s == ["posted"]]
    assert len(posted) + len(unconfirmed) == len(channels)
    assert all(sent[c] == 1 for c in posted)
    # At most the posts in flight: a window of 20 posts a second, with 0.1 s answers.
    assert len(unconfirmed) <= 20
    assert lease_holder(db) is None, "a runner stopped cleanly gives its lease up"


def test_two_runners_share_a_slots_workspaces_and_post_each_channel_once(
    api: SlackWebAPI, tmp_path: Path, database: str
) -> None:
    db = database
    # More workspaces than one runner posts to at once.
    teams = [f"TSHARE{n:03d}" for n in range(RUNS_AT_ONCE + 20)]
    store = Store(db)
    try:
        for team in teams:
            store.set_schedule(team, WeeklySlot(0, clock_time(0, 0), "UTC"), datetime.now(UTC))
            subscribe(store, *(f"C{team[-3:]}{n}" for n in range(3)), team=team)
    finally:
        store.close()
    # Slack slow to answer: a workspace's three posts take seconds, so both runners are up
    # while the slot's work is still there to share.
    api.faults.delay("chat.postMessage", 1.5)

    with runners(api, db, tmp_path, 2) as started:

        def all_posted() -> bool:
            return len(deliveries(db)) == 3 * len(teams)

        wait_until(all_posted, 120, "every workspace's week")
    for runner in started:
        assert runner.process.returncode == 0, runner.log.read_text()
    rows = deliveries(db)
    assert all(row["state"] == "posted" for row in rows)
    assert max(post_calls(api).values()) == 1, "a channel was posted twice"
    by_owner = {row["owner"] for row in rows}
    assert {pid_of(owner) for owner in by_owner} == {r.process.pid for r in started}
    # A workspace's week is one runner's: its lease is taken once.
    assert all(len({r["owner"] for r in rows if r["team_id"] == t}) == 1 for t in teams)


def deliveries(db: Path | str) -> list[dict[str, Any]]:
    store = Store(db)
    try:
        return [row for row in table(store, "deliveries") if row["state"] != "sending"]
    finally:
        store.close()


@contextmanager
def two_apps(
    api: SlackWebAPI, db: Path | str, workdir: Path
) -> Iterator[tuple[RunningApp, RunningApp]]:
    """Two `serve --http` processes on their own ports, each with its workers and a runner."""
    env = app_env(api, db, PROGRESSION_RUNNER_LEASE=LEASE_SECONDS)
    first = start_http_app(env, workdir, workers=2)
    try:
        second = start_http_app(env, workdir, workers=2)
        try:
            yield first, second
        finally:
            stop_app(second)
    finally:
        stop_app(first)


def export(env: dict[str, str], workdir: Path) -> list[dict[str, str]]:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--team", TEAM_ID],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_two_app_processes_on_one_database_act_as_one_app(
    api: SlackWebAPI, tmp_path: Path, database: str
) -> None:
    db = database  # a file on SQLite; a server the two share on PostgreSQL, as on two hosts
    weekly = [f"CW{n:02d}" for n in range(30)]
    due_now(db, weekly)
    api.add_user("UADMIN", is_admin=True)
    with two_apps(api, db, tmp_path) as apps:
        senders = [SlackSender(app.url + "/slack/events", SIGNING_SECRET) for app in apps]
        try:
            # One fan-out for the week, whichever runner is active.
            wait_until(
                lambda: all(s == ["posted"] for s in delivery_states(db, weekly).values()),
                30,
                "the week's nudges",
            )
            assert post_calls(api) == {c: 1 for c in weekly}

            # A command to either app sees what the other one did.
            def admin(sender: SlackSender, text: str) -> dict[str, object]:
                return final_answer(sender, api, text, channel_id="CSUB", user_id="UADMIN")

            subscribed = admin(senders[0], "subscribe leader")
            assert "leader" in str(subscribed).lower()
            listed = admin(senders[1], "subscriptions")
            assert "<#CSUB>" in str(listed)

            # A schedule changed through either app re-arms the one runner's job within seconds.
            changed = admin(senders[1], "schedule friday 06:45 UTC")
            assert "Friday" in str(changed), changed
            wait_until(
                lambda: any(
                    f"Re-armed {TEAM_ID}: next nudge run at" in app.output()
                    and "06:45:00+00:00" in app.output()
                    for app in apps
                ),
                10,
                "the runner to re-arm the workspace",
            )

            # Reactions spread over both apps, every tenth retried (same event id) to the other.
            nudges = [add_nudge(db, ref="2.5"), add_nudge(db, ref="3.1")]
            users = [f"UR{n:03d}" for n in range(60)]
            for n, user in enumerate(users):
                for nudge in nudges[: 1 + n % 2]:
                    event = reaction_event(
                        "reaction_added",
                        user=user,
                        reaction="white_check_mark",
                        channel=nudge.channel,
                        ts=nudge.ts,
                    )
                    event_id = f"Ev{n:03d}{nudge.channel}"
                    assert senders[n % 2].event(event, event_id=event_id).status == 200
                    if n % 10 == 0:
                        retry = senders[(n + 1) % 2].event(event, event_id=event_id, retry_num=1)
                        assert retry.status == 200
            expected = {nudges[0].channel: 60, nudges[1].channel: 30}

            for sender in senders:
                for nudge in nudges:
                    answer = sender.command("progress", channel_id=nudge.channel, user_id="U1")
                    assert f"✅ {expected[nudge.channel]} done" in str(answer.json())
            rows = export(app_env(api, db), tmp_path)
            counted = {c: sum(1 for r in rows if r["channel"] == c) for c in expected}
            assert counted == expected
            assert len({(r["channel"], r["user"]) for r in rows}) == len(rows)

            # The live counts: one runner updates both nudges, a burst coalesced.
            def counts_shown() -> bool:
                shown = {
                    c: [
                        str(u.params["blocks"])
                        for u in api.calls("chat.update")
                        if u.params["channel"] == c
                    ]
                    for c in expected
                }
                return all(
                    updates and f"{expected[c]} done" in updates[-1] for c, updates in shown.items()
                )

            wait_until(counts_shown, 20, "the live counts")
            assert len(api.calls("chat.update")) <= 10, "a burst is coalesced, not one per event"

            # The active runner dies: a standby (the other app's) keeps the counts live.
            holder = lease_holder(db)
            assert holder is not None
            os.kill(pid_of(holder), signal.SIGKILL)
            late = reaction_event(
                "reaction_added",
                user="ULATE",
                reaction="white_check_mark",
                channel=nudges[1].channel,
                ts=nudges[1].ts,
            )
            assert senders[1].event(late, event_id="EvLATE").status == 200
            expected[nudges[1].channel] += 1
            wait_until(counts_shown, 30, "a standby to update the live count")
            assert lease_holder(db) not in (None, holder)
            # And the app whose runner died starts another, a standby now.
            wait_until(
                lambda: any("The runner exited" in a.output() for a in apps),
                30,
                "serve to restart its runner",
            )
        finally:
            for sender in senders:
                sender.close()
    # SIGTERM to both: each stops its runner, and the active one gives its lease up.
    assert lease_holder(db) is None


def test_socket_mode_processes_each_hold_a_connection_and_share_one_runner(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "progression.db"
    nudge = add_nudge(db, ref="1.8")
    env = app_env(api, db, SLACK_APP_TOKEN=APP_TOKEN, PROGRESSION_RUNNER_LEASE=LEASE_SECONDS)
    env.pop("SLACK_SIGNING_SECRET")
    with SocketModeServer() as server:
        api.socket_url = server.url
        logs = [tmp_path / f"socket-{n}.log" for n in range(2)]
        processes = []
        for log in logs:
            with log.open("w") as sink:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bot.cli", "serve"],
                        cwd=tmp_path,
                        env=env,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                    )
                )
        try:
            server.wait_connected(timeout=30, count=2)
            wait_until(lambda: server.open_connections == 2, 30, "two connections")
            wait_until(lambda: lease_holder(db) is not None, 20, "one runner to be active")
            holder = lease_holder(db)
            assert holder is not None and pid_of(holder) in {p.pid for p in processes}
            for n in range(20):
                event = reaction_event(
                    "reaction_added",
                    user=f"US{n:02d}",
                    reaction="white_check_mark",
                    channel=nudge.channel,
                    ts=nudge.ts,
                )
                body = event_callback(event, event_id=f"EvS{n:02d}")
                acked = server.send_envelope("events_api", body, to=n % 2)
                server.wait_for_ack(acked, timeout=10)
                if n % 5 == 0:  # retried over the other connection
                    retried = server.send_envelope(
                        "events_api", body, retry_attempt=1, retry_reason="timeout", to=1 - n % 2
                    )
                    server.wait_for_ack(retried, timeout=10)

            def count_shown() -> bool:
                updates = [str(u.params["blocks"]) for u in api.calls("chat.update")]
                return bool(updates) and "20 done" in updates[-1]

            wait_until(count_shown, 20, "the live count")
            assert lease_holder(db) == holder, "the one runner stayed the one"
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
    rows = export(app_env(api, db), tmp_path)
    assert sorted(r["user"] for r in rows if r["channel"] == nudge.channel) == [
        f"US{n:02d}" for n in range(20)
    ]


def test_serve_no_scheduler_keeps_the_live_counts_and_leaves_the_nudges_to_cron(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db = tmp_path / "progression.db"
    due_now(db, ["CDUE"])  # a week whose slot has passed: a scheduler would post it at start
    env = app_env(api, db, PROGRESSION_RUNNER_LEASE=LEASE_SECONDS)
    app = start_http_app(env, tmp_path, extra=["--no-scheduler"])
    sender = SlackSender(app.url + "/slack/events", SIGNING_SECRET)
    try:
        wait_until(
            lambda: "run `progression-bot nudge` (cron)" in app.output(),
            20,
            "the runner to take the lease",
        )
        nudge = add_nudge(db, ref="2.5")
        event = reaction_event(
            "reaction_added",
            user="UREACT",
            reaction="white_check_mark",
            channel=nudge.channel,
            ts=nudge.ts,
        )
        assert sender.event(event, event_id="EvNOSCHED").status == 200

        def count_shown() -> bool:
            updates = [
                str(u.params["blocks"])
                for u in api.calls("chat.update")
                if u.params["channel"] == nudge.channel
            ]
            return bool(updates) and "1 done" in updates[-1]

        wait_until(count_shown, 20, "the runner to update the live count")
        # A schedule change still reaches the runner, which arms nothing.
        api.add_user("UADMIN", is_admin=True)
        changed = final_answer(
            sender, api, "schedule friday 06:45 UTC", channel_id="CSUB", user_id="UADMIN"
        )
        assert "Friday" in str(changed), changed
        assert "Weekly nudges scheduled for" not in app.output()
        assert "Re-armed" not in app.output()
        assert post_calls(api) == {}, "with --no-scheduler, serve posts no weekly nudge"
        assert delivery_states(db, ["CDUE"]) == {"CDUE": []}
    finally:
        sender.close()
        stop_app(app)
    assert app.process.returncode == 0, app.output()
