"""Another process holding the database's write lock, and commands timed against the running
app, as Slack sends them (for tests/bot/test_busy_http.py and benchmarks/busy_answers.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.conftest import SIGNING_SECRET, RunningApp
from tests.slack.signing import SlackSender, reaction_event

ADMIN = "UADMINBUSY"
CHANNEL, TS = "CBUSY1", "1700000000.000777"


class WriteLock:
    """Another process in `BEGIN IMMEDIATE` on the database until released."""

    def __init__(self, db: Path) -> None:
        code = (
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "c.execute('begin immediate')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.execute('rollback')\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.process.returncode is None:
            self.process.communicate("\n", timeout=10)


# What a read answers when it can be served; a write answers the busy sentence.
READS = {"progress": "1.7", "next": "Next"}
AT_ONCE = [
    "progress",
    "next",
    "schedule monday 08:00 UTC",
    "skip 2027-03-15 2027-03-19",
    "unsubscribe",
    "progress",
]


def timed_answers(app: RunningApp, texts: list[str]) -> list[tuple[str, float, dict[str, Any]]]:
    """Each command sent at the same moment from a thread of its own, as a manager in the
    nudge's channel: (text, seconds until its answer, the answer)."""
    start = threading.Barrier(len(texts))

    def send(slack: SlackSender, text: str) -> tuple[str, float, dict[str, Any]]:
        start.wait(timeout=10)
        began = time.monotonic()
        answer = slack.command(text, user_id=ADMIN, channel_id=CHANNEL)
        took = time.monotonic() - began
        assert answer.status == 200, (text, answer.status)
        return text, took, answer.json()

    # Waits for the slowest answer, however late: the test measures it, Slack would not.
    with (
        SlackSender(app.url + "/slack/events", SIGNING_SECRET, timeout=30) as slack,
        ThreadPoolExecutor(len(texts)) as pool,
    ):
        return list(pool.map(lambda text: send(slack, text), texts))


def timed_reactions(apps: list[RunningApp], count: int) -> list[tuple[int, float]]:
    """`count` reactions to the nudge, each by a person of its own, sent at the same moment to
    the apps in turn: (status, seconds until the answer) for each."""
    start = threading.Barrier(count)

    def react(n: int) -> tuple[int, float]:
        reaction = reaction_event(
            "reaction_added",
            user=f"UATONCE{n}",
            reaction="white_check_mark",
            channel=CHANNEL,
            ts=TS,
        )
        url = apps[n % len(apps)].url + "/slack/events"
        with SlackSender(url, SIGNING_SECRET, timeout=30) as slack:
            start.wait(timeout=10)
            began = time.monotonic()
            status = slack.event(reaction).status
            return status, time.monotonic() - began

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(react, range(count)))
