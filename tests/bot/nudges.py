"""Nudges as the weekly fan-out leaves them, for the tests that react to them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.slack.membership import remember_membership
from store import Store
from tests.conftest import RunningApp, app_env, start_http_app, stop_app
from tests.slack.signing import TEAM_ID
from tests.slack.web_api import SlackWebAPI

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
WEEK = "2026-W48"
_channels = itertools.count(1)


@dataclass(frozen=True)
class Nudge:
    channel: str
    ts: str
    ref: str


def add_nudge(
    db: Path | str,
    ref: str = "1.7",
    role: str = "teacher",
    week: str = WEEK,
    channel: str | None = None,
    ts: str | None = None,
    *,
    subscribe: bool = True,
) -> Nudge:
    """A role channel (subscribed unless `subscribe=False`: it already is) with a confirmed
    nudge for `ref`: what the weekly fan-out leaves."""
    n = next(_channels)
    ts = ts or f"1700000000.{n:06d}"
    channel = channel or f"CN{n:05d}"
    store = Store(db)
    try:
        if subscribe:
            store.subscribe(TEAM_ID, channel, role, (), "U0", week, NOW)
        assert store.claim_delivery(
            TEAM_ID, channel, week, role=role, ref=ref, round=1, owner="test", now=NOW
        )
        store.confirm_delivery(TEAM_ID, channel, week, ts, NOW)
    finally:
        store.close()
    return Nudge(channel, ts, ref)


def let_in(db: Path, api: SlackWebAPI, nudge: Nudge, user: str) -> None:
    """The person is in the nudge's channel, and opened App Home a moment ago: the app knows
    their channels, and that they do not manage."""
    api.add_member(nudge.channel, user)
    store = Store(db)
    try:
        now = datetime.now(UTC)
        remember_membership(store, TEAM_ID, user, frozenset({nudge.channel}), now)
        store.remember_manager(TEAM_ID, user, False, now.timestamp())
    finally:
        store.close()


@contextmanager
def app_with_a_nudge(
    api: SlackWebAPI,
    workdir: Path,
    channel: str,
    ts: str,
    db: Path | str | None = None,
    workers: int = 2,
    **env: str,
) -> Iterator[RunningApp]:
    """`serve --http` on a database of its own (`db`, else a file in `workdir`) with one
    confirmed nudge (move 1.7) in `channel`, posted as `ts`; `env`: more settings."""
    db = db or workdir / "p.db"
    add_nudge(db, "1.7", channel=channel, ts=ts)
    running = start_http_app(app_env(api, db, **env), workdir, workers=workers)
    try:
        yield running
    finally:
        stop_app(running)
