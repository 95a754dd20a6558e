"""Slack's delivery health, on a clock the tests move: the last hour's event deliveries that
failed (not 2xx) or came late (over 3 s), a warning past 2%, the managers asked for past 4%
once an hour, `app_rate_limited` logged and asked for; and the runner's duty that DMs the
managers once per workspace, kind and hour."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.background.notices import DeliveryNotices, notice_message
from bot.observe.delivery_health import (
    FAILURES,
    RATE_LIMITED,
    DeliveryHealth,
    Notice,
    hour_of,
)
from bot.settings import load_settings
from bot.slack.client import slack_client
from store import Store
from store.outbox import Work
from tests.conftest import BOT_TOKEN
from tests.slack.web_api import SlackWebAPI

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC).timestamp()
TEAM = "T0001"


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Asked:
    notices: list[tuple[str, Notice]] = field(default_factory=list)
    answers: bool = True

    def __call__(self, workspace: str, notice: Notice, now: float) -> bool:
        self.notices.append((workspace, notice))
        return self.answers


def health(clock: Clock, asked: Asked) -> DeliveryHealth:
    return DeliveryHealth(asked, clock=clock)


def deliver(health: DeliveryHealth, ok: int, failed: int = 0, late: int = 0) -> None:
    for _ in range(ok):
        health.record(200, 0.05, TEAM)
    for _ in range(failed):
        health.record(503, 0.05, TEAM)
    for _ in range(late):
        health.record(200, 3.5, TEAM)


@pytest.mark.parametrize(
    ("ok", "failed", "late", "warned", "told"),
    [
        pytest.param(100, 0, 0, False, False, id="all well"),
        pytest.param(98, 2, 0, False, False, id="2% is not past 2%"),
        pytest.param(97, 3, 0, True, False, id="3%: a warning"),
        pytest.param(97, 1, 2, True, False, id="late counts as failed"),
        pytest.param(96, 4, 0, True, False, id="4% is not past 4%"),
        pytest.param(95, 5, 0, True, True, id="5%: the managers"),
        pytest.param(90, 0, 10, True, True, id="10% late"),
        pytest.param(15, 4, 0, False, False, id="too few deliveries to judge"),
    ],
)
def test_thresholds(
    caplog: pytest.LogCaptureFixture,
    ok: int,
    failed: int,
    late: int,
    warned: bool,
    told: bool,
) -> None:
    clock, asked = Clock(), Asked()
    watched = health(clock, asked)
    with caplog.at_level(logging.WARNING, "progression_bot.delivery_health"):
        deliver(watched, ok, failed, late)
    warnings = [r for r in caplog.records if "Slack's event deliveries" in r.getMessage()]
    assert len(warnings) == (1 if warned else 0)
    assert [n.kind for _, n in asked.notices] == ([FAILURES] if told else [])
    assert watched.last_hour == (failed + late, ok + failed + late)


def test_once_an_hour_then_again_the_next_hour(caplog: pytest.LogCaptureFixture) -> None:
    clock, asked = Clock(T0 + 50 * 60), Asked()  # 14:50
    watched = health(clock, asked)
    with caplog.at_level(logging.WARNING, "progression_bot.delivery_health"):
        deliver(watched, 90, 10)
        deliver(watched, 0, 10)  # still failing, the same hour: nothing more
        clock.now += 15 * 60  # 15:05, the next clock hour: 14:50's failures still count
        deliver(watched, 0, 1)
    assert [(n.hour, n.kind) for _, n in asked.notices] == [
        ("2026-11-23T14", FAILURES),
        ("2026-11-23T15", FAILURES),
    ]
    warnings = [r for r in caplog.records if "Slack's event deliveries" in r.getMessage()]
    assert len(warnings) == 2
    assert "Slack turns the app's events off at 5%" in warnings[0].getMessage()


def test_the_window_is_the_last_hour() -> None:
    clock, asked = Clock(), Asked()
    watched = health(clock, asked)
    deliver(watched, 0, 10)
    clock.now += 30 * 60
    deliver(watched, 100)
    assert watched.last_hour == (10, 110)
    clock.now += 31 * 60  # the failures are over an hour old now
    deliver(watched, 100)
    assert watched.last_hour == (0, 200)


def test_a_runner_that_could_not_be_asked_is_asked_again() -> None:
    clock, asked = Clock(), Asked(answers=False)
    watched = health(clock, asked)
    deliver(watched, 90, 10)
    # From the 4th failure on (4 of 94, past 4%), each failure asks again.
    assert [n.failed for _, n in asked.notices] == [4, 5, 6, 7, 8, 9, 10]
    asked.answers = True
    deliver(watched, 0, 1)
    deliver(watched, 0, 1)
    assert len(asked.notices) == 8  # asked once more, which worked, then not again this hour


def test_app_rate_limited_is_logged_and_asked_for(caplog: pytest.LogCaptureFixture) -> None:
    clock, asked = Clock(), Asked()
    with caplog.at_level(logging.WARNING, "progression_bot.delivery_health"):
        health(clock, asked).app_rate_limited(TEAM)
    assert asked.notices == [(TEAM, Notice(RATE_LIMITED, hour_of(T0)))]
    assert "app_rate_limited" in caplog.text and TEAM in caplog.text


@pytest.mark.parametrize(
    "notice", [Notice(FAILURES, "2026-11-23T14", 12, 200), Notice(RATE_LIMITED, "2026-11-23T14")]
)
def test_a_notice_survives_the_outbox(notice: Notice) -> None:
    assert Notice.from_subject(notice.subject) == notice


def test_the_message_says_what_happens_and_what_slack_may_do() -> None:
    text = notice_message(Notice(FAILURES, "2026-11-23T14", 12, 200))["text"]
    assert "12 of the last hour's 200 (6.0%)" in text and "5%" in text
    assert "turn the app's events off" in text
    limited = notice_message(Notice(RATE_LIMITED, "2026-11-23T14"))["text"]
    assert "app_rate_limited" in limited and "5%" in limited


def test_the_runner_tells_each_manager_once_an_hour(api: SlackWebAPI, tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    now = datetime.fromtimestamp(T0, UTC)
    store.subscribe(TEAM, "C1", "teacher", (), "UMANAGER1", "2026-W48", now)
    store.subscribe(TEAM, "C2", "leader", (), "UMANAGER1", "2026-W48", now)
    settings = load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=api.url, PROGRESSION_MANAGERS="UMANAGER2"
    )
    duty = DeliveryNotices(store, slack_client(settings), settings)
    try:
        for figures in ((12, 200), (14, 210)):  # two workers asked, the same hour
            notice = Notice(FAILURES, "2026-11-23T14", *figures)
            work = Work("notice", TEAM, notice.subject, 1, T0)
            duty.do(work, T0)
        duty.do(Work("notice", TEAM, Notice(FAILURES, "2026-11-23T15", 9, 100).subject, 1, T0), T0)
    finally:
        store.close()
    sent = [(c.params["channel"], c.params["text"]) for c in api.calls("chat.postMessage")]
    assert sorted(channel for channel, _ in sent) == [
        "UMANAGER1",
        "UMANAGER1",
        "UMANAGER2",
        "UMANAGER2",
    ]
    assert "12 of the last hour's 200" in sent[0][1]
