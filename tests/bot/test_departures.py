"""A workspace that removes the app: `app_uninstalled` and `tokens_revoked`, signed as Slack
sends them, to `serve --http` (on SQLite and PostgreSQL). Its background work stops at once,
with no call made with its dead token; its data is kept for a reinstall, and the runner deletes
it after the retention."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from progression.calendar import SchoolBreak
from store import Store
from tests.conftest import SIGNING_SECRET, RunningApp, app_env, start_http_app, stop_app
from tests.slack.signing import TEAM_ID, SlackSender
from tests.slack.web_api import SlackWebAPI

T = TypeVar("T")
NOW = datetime.now(UTC)
CHANNEL, TS = "CLEAVE1", "1700000000.000900"
UNINSTALLED = {"type": "app_uninstalled"}
BOT_REVOKED = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}
PEOPLE_REVOKED = {"type": "tokens_revoked", "tokens": {"oauth": ["U0001"]}}


def district(db: str) -> None:
    """A role channel with a nudge and a check-off, in a break (nothing is due while the test
    runs, whatever the day), and another workspace's channel."""
    store = Store(db)
    today = date.today()
    store.add_break(
        TEAM_ID, SchoolBreak(today - timedelta(days=7), today + timedelta(14)), "U0", NOW
    )
    for team in (TEAM_ID, "TSTAYS1"):
        store.subscribe(team, CHANNEL, "teacher", (), "U0", "2026-W48", NOW)
        store.claim_delivery(
            team, CHANNEL, "2026-W48", role="teacher", ref="1.7", round=1, owner="t", now=NOW
        )
        store.confirm_delivery(team, CHANNEL, "2026-W48", TS, NOW)
        store.record_checkoff(team, CHANNEL, "1.7", "U1", NOW, TS)
    store.close()


@contextmanager
def serving(api: SlackWebAPI, db: str, workdir: Path, **env: str) -> Iterator[SlackSender]:
    app = start_http_app(app_env(api, db, **env), workdir)
    try:
        with SlackSender(app.url + "/slack/events", SIGNING_SECRET) as sender:
            yield sender
    finally:
        stop_app(app)
        last_app.append(app)


last_app: list[RunningApp] = []


def read(db: str, what: Callable[[Store], T]) -> T:
    store = Store(db)
    try:
        return what(store)
    finally:
        store.close()


def kept(store: Store, team: str) -> dict[str, int]:
    """What the workspace has stored, but the runner's to-do list (which it works through)."""
    return {t: n for t, n in store.workspace_rows(team).items() if t != "outbox"}


def until(check: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)  # polling the runner's progress, not waiting for a schedule
    return False


def test_uninstalling_stops_the_work_at_once_and_a_reinstall_picks_up(
    api: SlackWebAPI, database: str, tmp_path: Path
) -> None:
    db = database
    district(db)
    with serving(api, db, tmp_path) as slack:
        # The check-off's live count, asked for before the app was removed, is done first.
        assert until(lambda: not read(db, lambda s: s.pending_work("count")))
        assert slack.event(PEOPLE_REVOKED).status == 200
        assert read(db, lambda s: s.departed_at(TEAM_ID)) is None  # people's tokens: not gone

        assert slack.event(UNINSTALLED).status == 200
        left = read(db, lambda s: s.departed_at(TEAM_ID))
        assert left is not None
        # Both events, in either order and more than once: the first one's time counts.
        assert slack.event(BOT_REVOKED).status == 200
        assert slack.event(UNINSTALLED).status == 200
        assert read(db, lambda s: s.departed_at(TEAM_ID)) == left

        # A live count asked for now (as a check-off before the uninstall would) is dropped:
        # no chat.update with the dead token.
        calls = len(api.calls())
        read(db, lambda s: s.request_work("count", TEAM_ID, f"{CHANNEL} {TS}", time.time()))
        assert until(lambda: not read(db, lambda s: s.pending_work("count")))
        assert len(api.calls()) == calls
    assert "left: the app was uninstalled" in last_app[-1].output()

    # Installed again: the token works, so the workspace is back with everything it had.
    with serving(api, db, tmp_path):
        assert read(db, lambda s: s.departed_at(TEAM_ID)) is None
        assert read(db, lambda s: s.checked_by(TEAM_ID, CHANNEL, "1.7")) == ["U1"]
        assert [s.channel_id for s in read(db, lambda s: s.subscriptions(TEAM_ID))] == [CHANNEL]
    assert "installed the app again" in last_app[-1].output()


def test_the_runner_deletes_a_departed_workspace_after_its_retention(
    api: SlackWebAPI, database: str, tmp_path: Path
) -> None:
    db = database
    district(db)
    stays = read(db, lambda s: kept(s, "TSTAYS1"))
    with serving(api, db, tmp_path, PROGRESSION_RETENTION_DAYS="0") as slack:
        assert slack.event(BOT_REVOKED).status == 200
        gone = until(lambda: not any(read(db, lambda s: s.workspace_rows(TEAM_ID)).values()))
        assert gone, read(db, lambda s: s.workspace_rows(TEAM_ID))
        assert read(db, lambda s: kept(s, "TSTAYS1")) == stays
    assert f"Deleted {TEAM_ID}'s data, 0 day(s) after it removed the app" in last_app[-1].output()


def test_a_retention_that_cannot_be_read_is_one_line(api: SlackWebAPI, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    for value in ("-1", "thirty", "4000"):
        env = app_env(api, tmp_path / "p.db", PROGRESSION_RETENTION_DAYS=value)
        result = run_cli("serve", "--http", "--port", "1", env=env)
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert "PROGRESSION_RETENTION_DAYS" in line and repr(value) in line
