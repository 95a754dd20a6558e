"""The runner under faults, mid fan-out: SIGTERM, its parent killed, its lease lost to a stall or
to a database outage longer than the lease. Each ends within seconds in one of two ways: the
runner exits, or it stands by and takes the lease again when it can. Either way the week ends
with every channel posted once (or unconfirmed: at most the posts in flight at a kill).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scheduler.runner import RUNNER_LEASE
from store import Store
from tests.bot.nudges import Nudge, add_nudge
from tests.bot.test_runner_processes import (
    delivery_states,
    due_now,
    lease_holder,
    pid_of,
    runners,
    wait_until,
)
from tests.conftest import SIGNING_SECRET, app_env, start_http_app, stop_app
from tests.own_postgres import OwnPostgres, wait_for_server
from tests.scheduler import post_calls
from tests.slack.signing import SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

# `serve` stops within this long of SIGTERM, its runner included (issue: a restart during a
# fan-out must not be an outage).
STOPS_WITHIN = 10.0
LEASE = "3"  # seconds: takeovers within seconds


def channels(count: int) -> list[str]:
    return [f"C{n:03d}" for n in range(count)]


def week_done(db: Path | str, names: list[str]) -> bool:
    return all(s and s[0] in ("posted", "unconfirmed") for s in delivery_states(db, names).values())


def assert_each_posted_once(api: SlackWebAPI, db: Path | str, names: list[str], in_flight: int):
    """Every channel has its one delivery; none was posted twice; unconfirmed ones are at
    most the posts that were in flight when a process was killed."""
    sent = post_calls(api)
    assert max(sent.values()) == 1, "a channel was posted twice"
    states = delivery_states(db, names)
    assert all(len(s) == 1 for s in states.values()), states
    posted = [c for c, s in states.items() if s == ["posted"]]
    unconfirmed = [c for c, s in states.items() if s == ["unconfirmed"]]
    assert len(posted) + len(unconfirmed) == len(names)
    assert all(sent[c] == 1 for c in posted)
    assert len(unconfirmed) <= in_flight


def runner_lease_row(db: Path | str) -> str | None:
    """Who holds the runner lease, expired or not: None once it was given up."""
    store = Store(db)
    try:
        lease = store.lease(RUNNER_LEASE)
        return lease.holder if lease else None
    finally:
        store.close()


def gone(pid: int) -> bool:
    """The process has exited (or is a zombie waiting for a parent that is gone itself)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (gunicorn's workers, the runner)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def check_off_and_see_the_count(
    api: SlackWebAPI, url: str, nudge: Nudge, user: str, event_id: str
) -> None:
    """A ✅ on the nudge, sent as Slack sends it (and sent again while the app answers
    non-2xx, as Slack retries), then its live count shows it: the runner does its work."""
    with SlackSender(url + "/slack/events", SIGNING_SECRET) as sender:
        event = reaction_event(
            "reaction_added",
            user=user,
            reaction="white_check_mark",
            channel=nudge.channel,
            ts=nudge.ts,
        )
        deadline = time.monotonic() + 30
        while sender.event(event, event_id=event_id).status != 200:
            assert time.monotonic() < deadline, "Slack's retries were never taken"
            time.sleep(0.5)  # Slack's retry, later
    wait_until(
        lambda: any(
            u.params["channel"] == nudge.channel and "1 done" in str(u.params["blocks"])
            for u in api.calls("chat.update")
        ),
        20,
        "the live count",
    )


def test_sigterm_mid_fanout_serve_exits_within_10_s_and_gives_the_lease_up(
    api: SlackWebAPI, tmp_path: Path, database: str
) -> None:
    db, names = database, channels(60)
    due_now(db, names)
    api.faults.delay("chat.postMessage", 0.2)  # posts are in flight when the signal comes
    # The default lease (30 s): a lease left held would keep the next runner waiting that long.
    app = start_http_app(app_env(api, db), tmp_path, workers=2)
    try:
        api.wait_for("chat.postMessage", 10, timeout=30)
        holder = lease_holder(db)
        assert holder is not None
        asked = time.monotonic()
        app.process.terminate()
        app.process.wait(timeout=60)
        took = time.monotonic() - asked
    finally:
        stop_app(app)
    output = app.output()
    assert took < STOPS_WITHIN, f"serve took {took:.1f} s to stop:\n{output}"
    assert app.process.returncode == 0, output
    assert "Traceback" not in output
    assert gone(pid_of(holder)), "the runner exited with serve"
    assert runner_lease_row(db) is None, "the lease was given up, not left to lapse"
    assert not week_done(db, names), "stopped in the middle of the fan-out"

    # The next runner starts the rest of the week at once, with nothing posted twice.
    with runners(api, db, tmp_path, 1):
        wait_until(lambda: week_done(db, names), 30, "the next runner to finish the week")
    assert_each_posted_once(api, db, names, in_flight=0)


def test_sigterm_mid_fanout_a_runner_alone_exits_within_seconds(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db, names = tmp_path / "progression.db", channels(60)
    due_now(db, names)
    api.faults.delay("chat.postMessage", 0.2)
    with runners(api, db, tmp_path, 1) as (runner,):
        api.wait_for("chat.postMessage", 10, timeout=30)
        asked = time.monotonic()
        runner.process.terminate()
        runner.process.wait(timeout=60)
        took = time.monotonic() - asked
    assert took < STOPS_WITHIN, runner.log.read_text()
    assert runner.process.returncode == 0, runner.log.read_text()
    assert runner_lease_row(db) is None
    assert not week_done(db, names)


def test_a_runner_whose_serve_was_killed_exits_and_gives_the_lease_up(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    db, names = tmp_path / "progression.db", channels(60)
    due_now(db, names)
    api.faults.delay("chat.postMessage", 0.2)
    app = start_http_app(app_env(api, db, PROGRESSION_RUNNER_LEASE=LEASE), tmp_path, workers=2)
    try:
        api.wait_for("chat.postMessage", 10, timeout=30)
        holder = lease_holder(db)
        assert holder is not None
        below = descendants(app.process.pid)
        assert pid_of(holder) in below
        app.process.kill()  # gunicorn's master, outright: it cannot stop its runner
        app.process.wait(timeout=10)
        wait_until(
            lambda: all(gone(pid) for pid in below),
            STOPS_WITHIN + 2,  # the runner looks for its parent once a second
            "the runner and the workers to exit",
        )
    finally:
        stop_app(app)
    assert runner_lease_row(db) is None, "the orphaned runner gave its lease up"


def test_a_runner_that_lost_its_lease_to_a_stall_stands_by_and_takes_over_again(
    api: SlackWebAPI, tmp_path: Path, database: str
) -> None:
    db, names = database, channels(120)
    due_now(db, names)
    api.faults.delay("chat.postMessage", 0.2)
    web = start_http_app(
        app_env(api, db, PROGRESSION_RUNNER_LEASE=LEASE), tmp_path, extra=["--no-runner"]
    )
    try:
        with runners(api, db, tmp_path, 2) as pair:
            wait_until(lambda: lease_holder(db) is not None, 20, "a runner to take the lease")
            holder = lease_holder(db)
            assert holder is not None
            first = next(r for r in pair if r.process.pid == pid_of(holder))
            second = next(r for r in pair if r is not first)
            api.wait_for("chat.postMessage", 10, timeout=30)

            # The active runner stalls past its lease (SIGSTOP: a frozen VM, a swapped host).
            os.kill(first.process.pid, signal.SIGSTOP)
            wait_until(
                lambda: lease_holder(db) == f"{holder.rpartition(':')[0]}:{second.process.pid}",
                20,
                "the standby to take over",
            )
            posted_before = len(api.calls("chat.postMessage"))
            wait_until(
                lambda: len(api.calls("chat.postMessage")) > posted_before + 5,
                30,
                "the new runner to post",
            )
            os.kill(first.process.pid, signal.SIGCONT)
            wait_until(
                lambda: "lost the lease: standing by" in first.log.read_text(),
                10,
                "the stalled runner to find its lease gone",
            )
            assert not week_done(db, names), "the week is still going when the new one dies"

            # The runner that took over dies: the one that stalled takes over again.
            os.kill(second.process.pid, signal.SIGKILL)
            second.process.wait(timeout=10)
            wait_until(lambda: week_done(db, names), 60, "the first runner to finish the week")
            assert lease_holder(db) == holder
            assert first.process.poll() is None

            # Its outbox work goes on too: a new ✅ reaches the nudge's live count.
            nudge = add_nudge(db, ref="2.5")
            check_off_and_see_the_count(api, web.url, nudge, "ULATE", "EvAFTERSTALL")
    finally:
        stop_app(web)
    # Two kills' worth of posts in flight at most (a window is 5 posts a second at 0.2 s).
    assert_each_posted_once(api, db, names, in_flight=40)


def test_a_database_outage_longer_than_the_lease_mid_fanout_ends_with_the_week_posted(
    api: SlackWebAPI, tmp_path: Path, own_server: OwnPostgres
) -> None:
    # Longer than the runner lease, and than the runner's own wait for a connection (30 s), so
    # its renewals fail outright: the runner stands by, then takes the lease again.
    db, names = own_server.url, channels(60)
    due_now(db, names)
    api.faults.delay("chat.postMessage", 0.2)
    app = start_http_app(app_env(api, db, PROGRESSION_RUNNER_LEASE=LEASE), tmp_path, workers=2)
    try:
        api.wait_for("chat.postMessage", 10, timeout=30)
        own_server.stop("fast")
        try:
            wait_until(
                lambda: "lost the lease: standing by" in app.output(),
                45,
                "the runner to find it cannot renew",
            )
        finally:
            own_server.start()
        wait_for_server(db)
        wait_until(lambda: week_done(db, names), 60, "the rest of the week after the outage")

        nudge = add_nudge(db, ref="2.5")
        check_off_and_see_the_count(api, app.url, nudge, "UBACK", "EvAFTEROUTAGE")
    finally:
        stop_app(app)
    # The posts in flight when the server stopped may be unconfirmed; nothing twice.
    assert_each_posted_once(api, db, names, in_flight=20)
    assert "Traceback" not in app.output()


@pytest.mark.skipif(os.geteuid() != 0, reason="another host's name needs a UTS namespace (root)")
def test_a_standby_on_another_host_finishes_the_week_within_two_leases(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    # Two hosts, as the lease sees them: each runner in a UTS namespace with a hostname of its
    # own, so neither can tell whether the other's process is alive: only leases lapse.
    db, names = tmp_path / "progression.db", channels(80)
    due_now(db, names)
    api.faults.delay("chat.postMessage", 0.2)
    env = app_env(api, db, PROGRESSION_RUNNER_LEASE=LEASE)
    started = []
    for host in ("host-a", "host-b"):
        log = tmp_path / f"{host}.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                ["unshare", "--uts", "sh", "-c", f'hostname {host} && exec "$0" "$@"',
                 sys.executable, "-m", "bot.cli", "runner"],
                cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        started.append((host, process, log))
        if host == "host-a":
            wait_until(lambda: lease_holder(db) is not None, 20, "host-a to take the lease")
    try:
        assert (lease_holder(db) or "").startswith("host-a:")
        api.wait_for("chat.postMessage", 10, timeout=30)
        os.kill(started[0][1].pid, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: week_done(db, names), 60, "host-b to finish the week")
        took = time.monotonic() - killed
    finally:
        for _, process, _ in started:
            process.terminate()
        for _, process, _ in started:
            process.wait(timeout=30)
    said = started[1][2].read_text()
    assert "took over from host-a:" in said
    # Within two leases for the takeover and the dead run's fan-out lease, plus the posts
    # left at the pace (80 channels at most, 5 a second): not the minutes of a fixed lease.
    assert took < 2 * float(LEASE) + len(names) / 5 + 10, said
    assert_each_posted_once(api, db, names, in_flight=20)


def test_a_web_worker_restarted_while_postgresql_is_down_boots_and_the_app_stays_up(
    api: SlackWebAPI, tmp_path: Path, own_server: OwnPostgres
) -> None:
    db = own_server.url
    app = start_http_app(app_env(api, db), tmp_path, workers=2, extra=["--no-runner"])
    try:
        wait_until(lambda: len(descendants(app.process.pid)) == 2, 20, "both workers")
        workers = descendants(app.process.pid)
        own_server.stop("fast")
        try:
            # gunicorn replaces a worker that died; one that cannot boot stops the whole app.
            os.kill(min(workers), signal.SIGKILL)
            wait_until(
                lambda: len(descendants(app.process.pid) - workers) == 1,
                20,
                "gunicorn to start a new worker",
            )
            with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as sender:
                for _ in range(4):  # both workers answer, the new one too: busy, in time
                    answer = sender.command("progress", channel_id="C1", user_id="U1")
                    assert answer.status == 200
                    assert "try again" in str(answer.json()).lower()
        finally:
            own_server.start()
        assert app.process.poll() is None, app.output()
        wait_for_server(db)
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as sender:
            deadline = time.monotonic() + 20
            for _ in range(4):  # each worker, once the pool has its connections again
                while "try again" in str(
                    answer := sender.command("progress", channel_id="C1", user_id="U1").json()
                ):
                    assert time.monotonic() < deadline, answer
                    time.sleep(0.2)  # the pool reconnects with a short backoff
                assert "subscribe" in str(answer).lower(), answer
    finally:
        stop_app(app)
    assert "Worker failed to boot" not in app.output()
