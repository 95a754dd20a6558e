"""The weekly digest's run against the Slack stand-in: which channel gets which digest, the chart
uploaded after it, never twice, breaks, the workspace's pace, and Slack's faults."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.background.duties import DIGEST_MESSAGES
from bot.views import NUDGE_MESSAGES
from progression.calendar import SchoolBreak
from progression.model import Progression
from scheduler.digest import DigestMessages, run_digest
from scheduler.fanout import FanoutContext, FanoutReport
from scheduler.limits import SlackLimits
from store import Store
from tests.conftest import BOT_TOKEN
from tests.scheduler import FAST, TEAM
from tests.slack.web_api import SlackWebAPI

FRIDAY = datetime(2026, 12, 4, 14, 5, tzinfo=UTC)  # 2026-W49, after the default 14:00 slot
WEEK = "2026-W49"
CHANNELS = {
    "CLL": ("lincoln-leaders", "leader"),
    "CLT": ("lincoln-teachers", "teacher"),
    "CWL": ("washington-leaders", "leader"),
    "CWT": ("washington-teachers", "teacher"),
    "CDP": ("district-planning", "systems"),
}


@pytest.fixture
def district(api: SlackWebAPI, store: Store) -> Store:
    """Two campuses (leaders and teachers each) and a systems channel, with three weeks of
    nudges; Washington's teachers have checked nothing off for two weeks."""
    for channel, (name, role) in CHANNELS.items():
        api.add_channel(channel, name=name)
        api.add_member(channel, *(f"U{channel}{n}" for n in range(4)))
        store.subscribe(TEAM, channel, role, (), "U0MANAGER", "2026-W45", FRIDAY)
    for n, week in enumerate(("2026-W47", "2026-W48", "2026-W49")):
        for channel in CHANNELS:
            ref = f"1.{7 + n}"
            assert store.claim_delivery(
                TEAM, channel, week, role="teacher", ref=ref, round=1, owner="h:1", now=FRIDAY
            )
            store.confirm_delivery(TEAM, channel, week, f"{n}.{channel}", FRIDAY)
            if channel != "CWT":
                store.record_checkoff(TEAM, channel, ref, f"U{channel}0", FRIDAY)
    return store


def run(
    store: Store,
    progression: Progression,
    api: SlackWebAPI,
    week: str = WEEK,
    messages: DigestMessages = DIGEST_MESSAGES,
    limits: SlackLimits = FAST,
    dry_run: bool = False,
) -> FanoutReport:
    client = WebClient(token=BOT_TOKEN, base_url=api.url, timeout=5, retry_handlers=[])
    context = FanoutContext(store, progression, client, NUDGE_MESSAGES, limits=limits)
    return run_digest(context, TEAM, week, FRIDAY, messages, dry_run=dry_run)


def posted_text(api: SlackWebAPI, channel: str) -> str:
    return "\n".join(
        str(call.params.get("blocks")) for call in api.calls("chat.postMessage")
        if call.params["channel"] == channel
    )  # fmt: skip


def uploads(api: SlackWebAPI) -> dict[str, Any]:
    return {c.params["channel_id"]: c for c in api.calls("files.completeUploadExternal")}


def test_each_campus_leader_gets_its_campus_and_planning_the_district(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    report = run(district, progression, api)
    assert sorted((r.channel_id, r.outcome) for r in report.results) == [
        ("CDP", "posted"),
        ("CLL", "posted"),
        ("CWL", "posted"),
    ]
    lincoln, washington, planning = (posted_text(api, c) for c in ("CLL", "CWL", "CDP"))
    assert "<#CLT>" in lincoln and "<#CWT>" not in lincoln
    assert "<#CWT> · no ✅ on its last two nudges" in washington
    assert "✅ 1 of 4" in lincoln  # four people, the app not counted
    assert "*Lincoln*" in planning and "*Washington*" in planning
    # Campuses proposed from the channels' names, as Slack told them.
    assert {s.channel_id: s.campus for s in district.subscriptions(TEAM)}["CWT"] == "Washington"
    # The chart, after each digest, titled and described in words.
    charts = uploads(api)
    assert set(charts) == {"CLL", "CWL", "CDP"}
    [chart] = _files(charts["CLL"])
    assert chart["title"] == "Lincoln progress, the week of Monday 30 November 2026"
    [asked] = [
        c
        for c in api.calls("files.getUploadURLExternal")
        if "Washington:" in c.params["alt_txt"] and "Lincoln:" not in c.params["alt_txt"]
    ]
    assert "Teacher 0%" in asked.params["alt_txt"]


def test_a_second_run_of_the_week_posts_nothing_again(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    run(district, progression, api)
    posts, charts = (
        len(api.calls("chat.postMessage")),
        len(api.calls("files.completeUploadExternal")),
    )
    again = run(district, progression, api)
    assert {r.outcome for r in again.results} == {"skipped"}
    assert len(api.calls("chat.postMessage")) == posts
    assert len(api.calls("files.completeUploadExternal")) == charts


def test_a_week_that_is_all_break_gets_no_digest(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    district.add_break(TEAM, SchoolBreak(date(2026, 11, 30), date(2026, 12, 4)), "U0", FRIDAY)
    assert run(district, progression, api).results == []
    assert api.calls("chat.postMessage") == []


def test_a_digest_turned_off_posts_nothing(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    district.set_digest_schedule(TEAM, 4, "14:00", False, FRIDAY)
    assert run(district, progression, api).results == []


def test_a_channel_slack_keeps_failing_is_left_for_a_retry_then_posted_once(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    api.faults.server_error("chat.postMessage", status=503, times=FAST.max_attempts, channel="CWL")
    first = run(district, progression, api)
    assert [r.channel_id for r in first.retry] == ["CWL"]
    assert "CWL" not in uploads(api), "no chart without its digest"
    later = run(district, progression, api)
    assert [r.channel_id for r in later.posted] == ["CWL"]
    assert sum(1 for c in api.calls("chat.postMessage") if c.params["channel"] == "CWL" and
               "blocks" in c.params) == FAST.max_attempts + 1  # fmt: skip
    assert len(uploads(api)) == 3


def test_a_chart_slack_refuses_leaves_the_digest_complete(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    api.faults.fail("files.completeUploadExternal", "restricted_action", times=10)
    report = run(district, progression, api)
    assert {r.outcome for r in report.results} == {"posted"}
    assert all("chart not uploaded (restricted_action)" in r.detail for r in report.results)
    # The next run tries the charts again; the digests are not posted twice.
    api.faults.reset()
    again = run(district, progression, api)
    assert {r.outcome for r in again.results} == {"skipped"}


def test_the_chart_waits_its_turn_of_the_channels_one_post_a_second(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    paced = SlackLimits(per_second=20, channel_interval=1.0, margin=0.0)
    run(district, progression, api, limits=paced)
    for channel, upload in uploads(api).items():
        [digest] = [c for c in api.calls("chat.postMessage") if c.params["channel"] == channel]
        assert upload.at - digest.at >= 1.0


def test_a_dry_run_says_what_each_channel_would_get_and_posts_nothing(
    api: SlackWebAPI, district: Store, progression: Progression
) -> None:
    report = run(district, progression, api, dry_run=True)
    assert {r.outcome for r in report.results} == {"would_post"}
    assert api.calls("chat.postMessage") == [] and api.calls("files.getUploadURLExternal") == []


def _files(call: Any) -> list[dict[str, Any]]:
    import json

    files = call.params["files"]
    return json.loads(files) if isinstance(files, str) else list(files)
