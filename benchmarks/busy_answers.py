"""How long each answer takes while the database cannot write, against Slack's 3 seconds (the
app's own bound is 2.5 s):

    .venv/bin/python -m benchmarks.busy_answers [--repeat 1]

1. `serve --http` (two web workers) while another process holds the SQLite file's write lock
   (`BEGIN IMMEDIATE`): six commands at once (`progress`, `next`, `schedule …`, `skip …`,
   `unsubscribe`, `progress`) from a manager.
2. Two `serve --http` processes on that file under the same lock: six reactions at once, three
   to each.
3. `serve --http` on a PostgreSQL server of its own (initdb in a temporary folder; needs the
   server binaries and, as root, the postgres user), stopped fast: `progress` and `skip …`.

Each request's seconds are printed with what it was answered: served, busy (the "try again"
sentence, or 503 for an event), or failed (the "something went wrong" sentence).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bot import views
from tests.bot.busy import ADMIN, AT_ONCE, CHANNEL, TS, WriteLock, timed_answers, timed_reactions
from tests.bot.nudges import add_nudge, app_with_a_nudge
from tests.conftest import app_env, start_http_app, stop_app
from tests.own_postgres import own_postgres
from tests.slack.web_api import SlackWebAPI

BUSY = {"response_type": "ephemeral", **views.busy_message()}
FAILED = {"response_type": "ephemeral", **views.internal_error_message()}


def _kind(answer: dict[str, Any]) -> str:
    return "busy" if answer == BUSY else "failed" if answer == FAILED else "served"


def _print(title: str, answers: list[tuple[str, float, str]]) -> None:
    print(title)
    for what, took, kind in answers:
        print(f"  {took:5.2f} s  {kind:6}  {what}")


def commands_against_a_held_lock(api: SlackWebAPI, workdir: Path) -> None:
    with app_with_a_nudge(api, workdir, CHANNEL, TS, PROGRESSION_MANAGERS=ADMIN) as app:
        lock = WriteLock(app.db)
        try:
            answers = timed_answers(app, AT_ONCE)
        finally:
            lock.release()
    _print(
        "SQLite write lock held, 6 commands at once:",
        [(text, took, _kind(answer)) for text, took, answer in answers],
    )


def reactions_from_two_processes(api: SlackWebAPI, workdir: Path) -> None:
    db = workdir / "p.db"
    add_nudge(db, "1.7", channel=CHANNEL, ts=TS)
    apps = [start_http_app(app_env(api, db), workdir, workers=1) for _ in range(2)]
    try:
        lock = WriteLock(db)
        try:
            answers = timed_reactions(apps, 6)
        finally:
            lock.release()
    finally:
        for app in apps:
            stop_app(app)
    _print(
        "SQLite write lock held, 6 reactions at once to two processes:",
        [
            (f"reaction to process {n % 2 + 1}", took, str(status))
            for n, (status, took) in enumerate(answers)
        ],
    )


def commands_while_postgresql_is_down(api: SlackWebAPI, workdir: Path) -> None:
    with own_postgres() as server:
        # One web worker, answering once started: a worker still starting when the server
        # stops fails to boot, and gunicorn then stops the whole app.
        env = {"PROGRESSION_MANAGERS": ADMIN}
        with app_with_a_nudge(api, workdir, CHANNEL, TS, db=server.url, workers=1, **env) as app:
            timed_answers(app, ["progress"])
            server.stop("fast")
            answers = timed_answers(app, ["progress", "skip 2027-03-15 2027-03-19"])
    _print(
        "PostgreSQL stopped, 2 commands at once:",
        [(text, took, _kind(answer)) for text, took, answer in answers],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with SlackWebAPI() as api:
        for _ in range(args.repeat):
            for measure in (
                commands_against_a_held_lock,
                reactions_from_two_processes,
                commands_while_postgresql_is_down,
            ):
                with tempfile.TemporaryDirectory() as workdir:
                    measure(api, Path(workdir))
                api.reset()


if __name__ == "__main__":
    main()
