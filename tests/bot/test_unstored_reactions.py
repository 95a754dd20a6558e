"""A ✅ is acknowledged only once it is stored: when the database cannot store it (a full disk, a
PostgreSQL server going down under traffic), Slack is answered with a status it retries, and
its retry, once the database is back, records it. Whatever got a 2xx is in the export."""

from __future__ import annotations

import csv
import io
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.bot.nudges import Nudge, add_nudge
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    RunningApp,
    app_env,
    run_cli,
    start_http_app,
    stop_app,
)
from tests.disks import fill, small_disk
from tests.own_postgres import own_postgres, wait_for_server
from tests.slack.signing import SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

_users = itertools.count(1)


@dataclass
class Sent:
    """One reaction as Slack sends it: the same event id on each retry."""

    user: str
    event_id: str
    statuses: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return any(200 <= s < 300 for s in self.statuses)


def react(slack: SlackSender, nudge: Nudge, sent: Sent) -> int:
    """Send `sent` (again, with Slack's retry headers, after its first time); its status."""
    event = reaction_event(
        "reaction_added",
        user=sent.user,
        reaction="white_check_mark",
        channel=nudge.channel,
        ts=nudge.ts,
    )
    retry = len(sent.statuses) or None
    status = slack.event(event, event_id=sent.event_id, retry_num=retry).status
    sent.statuses.append(status)
    return status


def a_reaction() -> Sent:
    n = next(_users)
    return Sent(f"UFULL{n:05d}", f"EvSTORE{n:07d}")


def exported_users(api: SlackWebAPI, db: str, workdir: Path, nudge: Nudge) -> set[str]:
    """The people `progression-bot export` lists as having checked the nudge's move off."""
    exported = run_cli("export", env=app_env(api, db), cwd=workdir)
    assert exported.returncode == 0, exported.stderr
    rows = csv.DictReader(io.StringIO(exported.stdout))
    return {r["user"] for r in rows if r["channel"] == nudge.channel and r["move"] == nudge.ref}


def assert_quiet_about_it(app: RunningApp, sent: list[Sent]) -> None:
    """A refusal is a line in the log, not a listener's traceback; no token, nothing from a
    request's body."""
    log = app.output()
    assert "Listener failed" not in log
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log
    assert not any(s.event_id in log for s in sent)


# --- a full disk (SQLite) ---------------------------------------------------------------


def test_reactions_on_a_full_disk_are_refused_then_stored_by_slacks_retry(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        db = str(disk / "p.db")
        nudge = add_nudge(db, "1.7", channel="CFULL1", ts="1700000000.000901")
        # The web workers only: the runner's own writes are not under test, and a runner
        # stopped while a write of its waits on the full disk outlives the app (issue 15, 1).
        app = start_http_app(app_env(api, db), tmp_path, extra=["--no-runner"])
        try:
            with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
                before = a_reaction()
                assert react(slack, nudge, before) == 200

                filler = fill(disk)
                refused = [a_reaction() for _ in range(10)]
                for reaction in refused:
                    assert react(slack, nudge, reaction) == 503, reaction

                filler.unlink()
                for reaction in refused:
                    assert react(slack, nudge, reaction) == 200, reaction  # Slack's retry
        finally:
            stop_app(app)
        sent = [before, *refused]
        assert exported_users(api, db, tmp_path, nudge) >= {s.user for s in sent}
        assert "database or disk is full" in app.output()
        assert "Traceback" not in app.output()
        assert_quiet_about_it(app, sent)


# --- PostgreSQL stopped under traffic ---------------------------------------------------

SENDERS = 4
ANSWERED_BEFORE_THE_STOP = 40
ANSWERED_AFTER_THE_START = 40
SLACK_RETRIES = 3  # Slack sends an event that got no 2xx three more times


class Traffic:
    """Reactions from a few threads, each to a nudge by a person of its own, until told to
    stop: what Slack sends on a Monday morning."""

    def __init__(self, url: str, nudge: Nudge, limit: int = 2000, timeout: float = 120) -> None:
        self.url, self.nudge = url, nudge
        self.sent: list[Sent] = []
        self._limit, self._deadline = limit, time.monotonic() + timeout
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send) for _ in range(SENDERS)]

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in self._threads)

    def acknowledged(self) -> int:
        with self._lock:
            return sum(s.acknowledged for s in self.sent)

    def wait_until_acknowledged(self, count: int, timeout: float = 60) -> None:
        with self._answered:
            done = self._answered.wait_for(
                lambda: sum(s.acknowledged for s in self.sent) >= count, timeout
            )
        assert done, f"fewer than {count} reactions acknowledged in {timeout} s"

    def _send(self) -> None:
        with SlackSender(self.url, SIGNING_SECRET, timeout=10) as slack:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                sent = a_reaction()
                with self._lock:
                    if len(self.sent) >= self._limit:
                        return
                    self.sent.append(sent)
                react(slack, self.nudge, sent)
                with self._answered:
                    self._answered.notify_all()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_reactions_while_postgresql_stops_are_acknowledged_only_once_stored(
    api: SlackWebAPI, tmp_path: Path, mode: str
) -> None:
    with own_postgres() as server:
        nudge = add_nudge(server.url, "1.7", channel=f"CPG{mode.upper()}")
        # One web worker, answering once started: a worker still starting when the server
        # stops fails to boot, and gunicorn then stops the whole app.
        app = start_http_app(app_env(api, server.url), tmp_path, workers=1)
        try:
            with Traffic(app.url + "/slack/events", nudge) as traffic:
                traffic.wait_until_acknowledged(ANSWERED_BEFORE_THE_STOP)
                server.stop(mode)
                server.start()
                wait_for_server(server.url)
                acknowledged = traffic.acknowledged()
                traffic.wait_until_acknowledged(acknowledged + ANSWERED_AFTER_THE_START)
            refused = [s for s in traffic.sent if not s.acknowledged]
            with SlackSender(app.url + "/slack/events", SIGNING_SECRET, timeout=10) as slack:
                for sent in refused:
                    while not sent.acknowledged and len(sent.statuses) <= SLACK_RETRIES:
                        react(slack, nudge, sent)
        finally:
            stop_app(app)
        stored = exported_users(api, server.url, tmp_path, nudge)
    lost = [s for s in traffic.sent if s.acknowledged and s.user not in stored]
    assert not lost, f"{len(lost)} of {len(traffic.sent)} acknowledged but not stored: {lost}"
    assert refused, "no reaction met the stopped server: the test tested nothing"
    assert_quiet_about_it(app, traffic.sent)
    assert all(s.acknowledged for s in traffic.sent)  # Slack's retries stored the rest
