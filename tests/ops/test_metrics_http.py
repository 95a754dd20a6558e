"""GET /metrics as docs/deploying.md's Prometheus job scrapes it, from `serve --http` with two web
workers and a runner, on SQLite and on PostgreSQL: each series moves when its cause happens
(a lookup, a 429 from the Slack stand-in, a check-off, a fan-out), whichever worker answers the
scrape. And the multiprocess directory: emptied at start, a dead worker's live gauges gone."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from progression.calendar import WeeklySlot, week_of
from store import Store
from tests.conftest import SIGNING_SECRET, RunningApp, app_env, start_http_app, stop_app
from tests.ops.scraping import (
    multiprocess_files,
    scrape,
    scrape_config,
    scrape_url,
    total,
    value,
    wait_for,
)
from tests.ops.test_dashboard import exported
from tests.slack.signing import TEAM_ID, SlackSender, app_home_opened_event, reaction_event
from tests.slack.web_api import SlackWebAPI

CHANNEL = "CMETRICS"


@dataclass
class Scraped:
    app: RunningApp
    url: str
    db: str


def subscribed_with_a_week_due(db: str) -> None:
    """A role channel in a workspace whose slot this week has passed (today at midnight UTC),
    so the runner's start-up run posts its nudge: a fan-out."""
    now = datetime.now(UTC)
    store = Store(db)
    try:
        slot = WeeklySlot(now.weekday(), now.time().replace(0, 0, 0, 0), "UTC")
        store.set_schedule(TEAM_ID, slot, now)
        store.subscribe(TEAM_ID, CHANNEL, "teacher", (), "U0", week_of(now, "UTC"), now)
    finally:
        store.close()


@pytest.fixture
def scraped(api: SlackWebAPI, tmp_path: Path, database: str) -> Iterator[Scraped]:
    subscribed_with_a_week_due(database)
    app = start_http_app(app_env(api, database), tmp_path, workers=2)
    try:
        port = int(app.url.rsplit(":", 1)[1])
        yield Scraped(app, scrape_url(scrape_config(), port), database)
    finally:
        stop_app(app)
    assert "Traceback" not in app.output(), app.output()


def test_each_series_moves_when_its_cause_happens(scraped: Scraped, api: SlackWebAPI) -> None:
    url = scraped.url
    posts = "progression_weekly_posts_total"
    # A fan-out: the runner's start-up run posts the week due, counted in the workers' page.
    before = wait_for(
        url,
        lambda s: (
            value(s, posts, kind="nudge", outcome="posted") == 1
            and value(s, "progression_fanout_duration_seconds_count", kind="nudge") >= 1
        ),
        what="the fan-out",
    )
    assert (
        value(before, "progression_slack_api_calls_total", method="chat.postMessage", outcome="ok")
        >= 1
    )
    # The runner's lease, held by this host's runner.
    held = wait_for(
        url, lambda s: value(s, "progression_runner_lease_held_seconds") > 0, what="the lease"
    )
    assert value(held, "progression_runner_lease_held") == 1
    assert value(held, "progression_runner_lease_live") == 1
    assert value(held, "progression_database_up") == 1
    assert total(held, "progression_build_info") == 1
    assert ("progression_outbox_depth", frozenset({("kind", "count")})) in held

    with SlackSender(scraped.app.url + "/slack/events", SIGNING_SECRET) as slack:
        # A lookup: one command answered 2xx, one more ack timed.
        start = scrape(url)
        assert slack.command("phase 3").status == 200
        after = scrape(url)
        requests = "progression_slack_requests_total"
        acks = "progression_slack_ack_seconds_count"
        assert value(after, requests, kind="command", answer="2xx") == (
            value(start, requests, kind="command", answer="2xx") + 1
        )
        assert value(after, acks, kind="command") == value(start, acks, kind="command") + 1

        # A 429 from the stand-in: App Home's views.publish, after the ack, retried.
        api.faults.rate_limit("views.publish", retry_after=1)
        assert slack.event(app_home_opened_event("U1")).status == 200
        publish = "progression_slack_api_calls_total"
        wait_for(
            url,
            lambda s: (
                value(s, publish, method="views.publish", outcome="429") == 1
                and value(s, publish, method="views.publish", outcome="ok") >= 1
            ),
            what="the 429 and the retry",
        )

        # A check-off: a check-mark on the nudge the fan-out posted.
        nudge = _posted_nudge(scraped.db)
        start = scrape(url)
        event = reaction_event(
            "reaction_added", user="U1", reaction="white_check_mark", channel=CHANNEL, ts=nudge
        )
        assert slack.event(event).status == 200
        after = scrape(url)
        checkoffs = "progression_checkoffs_recorded_total"
        assert (
            value(after, checkoffs, change="checked")
            == value(start, checkoffs, change="checked") + 1
        )
        assert value(after, requests, kind="event", answer="2xx") > value(
            start, requests, kind="event", answer="2xx"
        )
    # Counts stay counts: nothing counted twice by the two workers' files being summed.
    assert value(after, posts, kind="nudge", outcome="posted") == 1
    # Every name the dashboard may use (tests/ops/test_dashboard.py) is on the running app's page.
    assert exported() <= {name for name, _ in after}, exported() - {name for name, _ in after}


def _posted_nudge(db: str) -> str:
    store = Store(db)
    try:
        [delivery] = store.deliveries(TEAM_ID, CHANNEL)
    finally:
        store.close()
    assert delivery.ts
    return delivery.ts


def test_the_directory_is_emptied_at_start_and_a_dead_worker_is_forgotten(
    api: SlackWebAPI, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    # Counts of a previous run, left behind: they must not mix into this one's.
    stale = directory / "counter_1.db"
    stale.write_bytes(b"\x00" * 16)
    keep = directory / "README"
    keep.write_text("not prometheus_client's: left alone\n")
    env = app_env(api, tmp_path / "p.db", PROMETHEUS_MULTIPROC_DIR=str(directory))
    app = start_http_app(env, tmp_path, workers=2)
    try:
        port = int(app.url.rsplit(":", 1)[1])
        url = scrape_url(scrape_config(), port)
        assert not stale.exists() and keep.exists()
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as slack:
            for _ in range(6):  # enough for both workers to have counted
                assert slack.command("phase 3").status == 200
        workers = _worker_pids(directory, app.process.pid)
        assert workers, multiprocess_files(directory)
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)
        # gunicorn's master reaps it (child_exit) and starts another worker.
        deadline = time.monotonic() + 20
        while f"gauge_livemax_{victim}.db" in multiprocess_files(directory):
            assert time.monotonic() < deadline, multiprocess_files(directory)
            time.sleep(0.05)  # another process's cleanup, not a schedule
        samples = scrape(url)
        # Its counts stay: a counter never goes down because a worker died.
        assert value(samples, "progression_slack_requests_total", kind="command", answer="2xx") == 6
    finally:
        stop_app(app)
    assert not stale.exists()


def _worker_pids(directory: Path, master: int) -> list[int]:
    pids = set()
    for name in multiprocess_files(directory):
        if name.startswith("gauge_livemax_"):
            pids.add(int(name.removeprefix("gauge_livemax_").removesuffix(".db")))
    # The runner writes there too; its pid is a child of the master, like the workers'.
    return sorted(pid for pid in pids if pid != master and _is_gunicorn_worker(pid))


def _is_gunicorn_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"runner" not in command
