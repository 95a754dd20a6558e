"""The weekly fan-out against the Slack stand-in over HTTP, with a real store file."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from bot.views import NUDGE_MESSAGES
from progression.lookup import role_moves
from progression.model import Progression
from scheduler.fanout import FanoutContext, FanoutReport, run_fanout
from scheduler.lease import FanoutLease, FanoutRunning, this_owner
from store import CELEBRATION, Store
from store.leases import fanout_lease
from tests.conftest import BOT_TOKEN
from tests.scheduler import FAST, MANAGER, TEAM, post_calls, subscribe, texts
from tests.slack.web_api import SlackWebAPI
from tests.store import execute, fail_updates, stop_failing

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday of 2026-W10, after the 08:00 slot
WEEK, NEXT_WEEK = "2026-W10", "2026-W11"


@pytest.fixture
def client(api: SlackWebAPI) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=api.url, timeout=5, retry_handlers=[])


def fanout(
    store: Store,
    progression: Progression,
    client: WebClient,
    week: str = WEEK,
    *,
    dry_run: bool = False,
    **options: object,
) -> FanoutReport:
    context = FanoutContext(
        store,
        progression,
        client,
        NUDGE_MESSAGES,
        limits=FAST,
        **options,  # type: ignore[arg-type]
    )
    return run_fanout(context, TEAM, week, NOW, dry_run=dry_run)


def test_first_week_posts_the_first_move_then_nothing_then_the_next_move(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")

    first = fanout(store, progression, client)
    assert [(r.channel_id, r.outcome, r.ref) for r in first.results] == [("C1", "posted", "1.7")]
    [call] = api.calls("chat.postMessage")
    assert call.params["channel"] == "C1"
    assert "Next move 1.7" in call.params["text"]
    assert call.params["blocks"], "the nudge is Block Kit"
    assert str(call.params["unfurl_links"]).lower() in {"false", "0"}
    [delivery] = store.deliveries(TEAM, "C1")
    assert (delivery.state, delivery.ts) == ("posted", first.results[0].detail)

    again = fanout(store, progression, client)
    assert [r.outcome for r in again.results] == ["skipped"]
    assert len(api.calls("chat.postMessage")) == 1

    following = fanout(store, progression, client, NEXT_WEEK)
    assert [r.ref for r in following.posted] == ["1.8"]
    assert "Next move 1.8" in texts(api, "C1")[-1]


@pytest.mark.parametrize("fault", ["rate_limit", "server_error"])
def test_a_429_or_a_500_then_ok_posts_exactly_once(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient, fault: str
) -> None:
    subscribe(store, "C1", "C2")
    if fault == "rate_limit":
        api.faults.rate_limit("chat.postMessage", retry_after=1, times=1, channel="C1")
    else:
        api.faults.server_error("chat.postMessage", status=500, times=1, channel="C1")

    report = fanout(store, progression, client)

    assert sorted(r.channel_id for r in report.posted) == ["C1", "C2"]
    assert post_calls(api) == {"C1": 2, "C2": 1}  # the refused attempt, then the one post
    assert {d.state for c in ("C1", "C2") for d in store.deliveries(TEAM, c)} == {"posted"}
    assert fanout(store, progression, client).posted == []


def test_a_429_pauses_every_channel_of_the_workspace_for_its_retry_after(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    channels = [f"C{n}" for n in range(1, 7)]
    subscribe(store, *channels)
    api.faults.workspace_waits(in_flight=0.1)
    api.faults.rate_limit("chat.postMessage", retry_after=1, times=1, channel="C1")

    report = fanout(store, progression, client, concurrency=1)

    assert sorted(r.channel_id for r in report.posted) == channels
    calls = api.calls("chat.postMessage")
    [told] = [c.at for c in calls if c.outcome == "ratelimited"]
    assert all(c.at >= told + 1.0 for c in calls if c.at > told)
    assert api.faults.limit_violations == 0


@pytest.mark.parametrize(
    "error", ["channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"]
)
def test_a_gone_channel_is_deactivated_its_manager_told_once_and_the_rest_goes_on(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient, error: str
) -> None:
    subscribe(store, "C1", "C2", "C3")
    api.faults.fail("chat.postMessage", error, times=1, channel="C2")

    report = fanout(store, progression, client)

    assert sorted(r.channel_id for r in report.posted) == ["C1", "C3"]
    assert [r.channel_id for r in report.deactivated] == ["C2"]
    subscription = store.subscription(TEAM, "C2")
    assert subscription is not None
    assert (subscription.active, subscription.inactive_reason) == (False, error)
    assert store.deliveries(TEAM, "C2") == []
    [dm] = texts(api, MANAGER)
    assert "<#C2>" in dm and error in dm and "subscribe teacher" in dm

    api.faults.fail("chat.postMessage", error, times=1, channel="C2")
    fanout(store, progression, client, NEXT_WEEK)
    assert post_calls(api)["C2"] == 1  # inactive: not tried again
    assert len(texts(api, MANAGER)) == 1


def test_a_message_slack_refuses_is_released_and_reported(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    api.faults.fail("chat.postMessage", "invalid_blocks", times=1, channel="C1")

    report = fanout(store, progression, client)
    assert [(r.outcome, r.detail) for r in report.results] == [("failed", "invalid_blocks")]
    assert store.deliveries(TEAM, "C1") == []
    assert [r.ref for r in fanout(store, progression, client).posted] == ["1.7"]


def test_slack_failing_every_attempt_leaves_the_channel_for_the_next_run(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1", "C2")
    api.faults.server_error("chat.postMessage", status=503, times=FAST.max_attempts, channel="C1")

    report = fanout(store, progression, client)
    assert [r.channel_id for r in report.retry] == ["C1"]
    assert report.needs_retry
    assert post_calls(api)["C1"] == FAST.max_attempts
    assert store.deliveries(TEAM, "C1") == []

    rerun = fanout(store, progression, client)
    assert [r.channel_id for r in rerun.posted] == ["C1"]


def test_a_runner_that_lost_its_lease_stops_claiming_and_leaves_the_rest_for_a_retry(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1", "C2", "C3")
    leases = iter([True])  # the lease holds for the first claim only

    report = fanout(
        store, progression, client, concurrency=1, may_claim=lambda: next(leases, False)
    )
    assert [(r.channel_id, r.outcome) for r in report.results] == [
        ("C1", "posted"),
        ("C2", "retry"),
        ("C3", "retry"),
    ]
    assert report.needs_retry
    assert post_calls(api) == {"C1": 1}
    assert store.deliveries(TEAM, "C2") == []


def test_a_post_that_got_no_answer_is_unconfirmed_and_never_sent_again(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    api.faults.drop_connection("chat.postMessage", times=1, channel="C1")

    assert [r.outcome for r in fanout(store, progression, client).results] == ["unconfirmed"]
    assert [r.outcome for r in fanout(store, progression, client).results] == ["unconfirmed"]
    assert post_calls(api)["C1"] == 1
    assert [d.state for d in store.unconfirmed(TEAM)] == ["unconfirmed"]


def test_a_claim_left_by_a_dead_process_becomes_unconfirmed(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1", "C2")
    host = this_owner().rpartition(":")[0]
    store.claim_delivery(
        TEAM, "C1", WEEK, role="teacher", ref="1.7", round=1, owner=f"{host}:999999999", now=NOW
    )
    report = fanout(store, progression, client)
    assert [(r.channel_id, r.outcome) for r in report.results] == [
        ("C1", "unconfirmed"),
        ("C2", "posted"),
    ]
    assert "C1" not in post_calls(api)


def test_dry_run_claims_and_posts_nothing(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    subscribe(store, "C2", role="leader", phases=(2,))

    report = fanout(store, progression, client, dry_run=True)

    leader_first = role_moves(progression, "leader", (2,))[0].ref
    assert [(r.channel_id, r.outcome, r.ref) for r in report.results] == [
        ("C1", "would_post", "1.7"),
        ("C2", "would_post", leader_first),
    ]
    assert api.calls("chat.postMessage") == []
    assert store.delivered_channels(TEAM, WEEK) == set()


def test_a_channel_subscribed_for_a_later_week_waits_for_it(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    subscribe(store, "C2", first_week=NEXT_WEEK)
    assert [r.channel_id for r in fanout(store, progression, client).results] == ["C1"]
    assert [r.channel_id for r in fanout(store, progression, client, NEXT_WEEK).posted] == [
        "C1",
        "C2",
    ]


def test_everything_checked_off_gets_one_celebration_then_nothing(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1", phases=(1,))
    for move in role_moves(progression, "teacher", (1,)):
        store.record_checkoff(TEAM, "C1", move.ref, "U1", NOW)
    assert [r.ref for r in fanout(store, progression, client).posted] == [CELEBRATION]
    assert "checked off" in texts(api, "C1")[0]
    assert [r.outcome for r in fanout(store, progression, client, NEXT_WEEK).results] == ["nothing"]


def test_two_runs_of_the_same_week_at_once_post_each_channel_once(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    channels = [f"C{n:03d}" for n in range(40)]
    subscribe(store, *channels)
    api.faults.delay("chat.postMessage", 0.01)
    reports: list[FanoutReport] = []
    start = threading.Barrier(2)

    def run(owner: str) -> None:
        start.wait()
        reports.append(fanout(store, progression, client, owner=owner, concurrency=4))

    threads = [threading.Thread(target=run, args=(this_owner(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert post_calls(api) == {channel: 1 for channel in channels}
    posted = [r.channel_id for report in reports for r in report.posted]
    assert sorted(posted) == channels


# --- a post Slack took whose ts cannot be recorded ---------------------------------------


def test_a_ts_that_cannot_be_recorded_is_retried_then_left_unconfirmed_with_it(
    api: SlackWebAPI,
    store: Store,
    progression: Progression,
    client: WebClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscribe(store, "C1", "C2")
    fail_updates(store, "deliveries", "new.channel_id = 'C1' and new.state = 'posted'")
    waits: list[float] = []

    report = fanout(store, progression, client, sleep=waits.append)

    [posted_ts] = [r.detail for r in report.results if r.channel_id == "C2"]
    assert [(r.channel_id, r.outcome) for r in report.results] == [
        ("C1", "unconfirmed"),
        ("C2", "posted"),
    ]
    assert len(waits) == 3, "the confirm was retried"
    [delivery] = store.unconfirmed(TEAM)
    assert delivery.channel_id == "C1" and delivery.ts
    assert delivery.ts in report.results[0].detail and delivery.ts != posted_ts
    assert any(delivery.ts in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    # Its reactions still find it; and it is never posted again.
    assert store.delivery_by_ts(TEAM, "C1", delivery.ts) is not None
    again = fanout(store, progression, client)
    assert [r.outcome for r in again.results] == ["unconfirmed", "skipped"]
    assert post_calls(api) == {"C1": 1, "C2": 1}


def test_a_confirm_that_fails_once_is_recorded_on_the_retry(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    fail_updates(store, "deliveries", "new.state = 'posted'")

    def disk_freed(seconds: float) -> None:
        stop_failing(store, "deliveries")

    report = fanout(store, progression, client, sleep=disk_freed)
    assert [r.outcome for r in report.results] == ["posted"]
    assert [d.state for d in store.deliveries(TEAM, "C1")] == ["posted"]


def test_when_no_write_gets_through_the_claim_shows_unconfirmed_once_the_run_ends(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    fail_updates(store, "deliveries", "true")

    report = fanout(store, progression, client, sleep=lambda seconds: None)
    assert [r.outcome for r in report.results] == ["unconfirmed"]
    assert [(d.channel_id, d.state) for d in store.unconfirmed(TEAM)] == [("C1", "sending")]

    stop_failing(store, "deliveries")
    rerun = fanout(store, progression, client)
    assert [r.outcome for r in rerun.results] == ["unconfirmed"]
    assert [d.state for d in store.deliveries(TEAM, "C1")] == ["unconfirmed"]
    assert post_calls(api) == {"C1": 1}


# --- one run per workspace -----------------------------------------------------------------


def test_a_run_while_another_holds_the_workspace_posts_nothing_and_says_who(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    taken = datetime.now(UTC)
    lease = store.take_lease(fanout_lease(TEAM), "other-host:42", taken.timestamp(), 60)
    assert lease.holder == "other-host:42"

    with pytest.raises(FanoutRunning, match="other-host:42"):
        fanout(store, progression, client)
    assert api.calls("chat.postMessage") == []
    assert [r.outcome for r in fanout(store, progression, client, dry_run=True).results] == [
        "would_post"
    ]

    # Its holder stopped renewing: once the lease expires, the workspace is free again.
    later = taken + timedelta(seconds=61)
    assert [r.outcome for r in fanout(store, progression, client, clock=lambda: later).results] == [
        "posted"
    ]
    assert store.lease_holder(fanout_lease(TEAM), later.timestamp()) is None


def test_a_run_with_nothing_to_post_stands_in_no_other_runs_way(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    # The scheduler finds this week delivered while an operator's `nudge` posts next week's.
    subscribe(store, "C1")
    assert [r.outcome for r in fanout(store, progression, client).results] == ["posted"]
    holder = store.take_lease(
        fanout_lease(TEAM), "other-host:42", datetime.now(UTC).timestamp(), 60
    )
    assert holder.holder == "other-host:42"

    again = fanout(store, progression, client)
    assert [r.outcome for r in again.results] == ["skipped"]
    assert store.lease_holder(fanout_lease(TEAM), datetime.now(UTC).timestamp()) == "other-host:42"
    with pytest.raises(FanoutRunning):  # next week's has something to post: it waits its turn
        fanout(store, progression, client, week=NEXT_WEEK)


def test_a_lease_left_by_a_dead_process_on_this_host_is_taken_over_at_once(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    host = this_owner().rpartition(":")[0]
    store.take_lease(fanout_lease(TEAM), f"{host}:999999999", datetime.now(UTC).timestamp(), 60)
    assert [r.outcome for r in fanout(store, progression, client).results] == ["posted"]


def test_the_lease_is_renewed_while_a_run_lasts_and_released_after(
    store: Store,
) -> None:
    renewed = threading.Event()
    times = iter(range(1000))

    def clock() -> datetime:
        moment = NOW + timedelta(seconds=next(times))
        if moment > NOW + timedelta(seconds=1):
            renewed.set()
        return moment

    with FanoutLease(store, TEAM, "me:1", clock, seconds=5, renew_every=0.01) as lease:
        assert renewed.wait(timeout=5)
        holder = store.lease_holder(fanout_lease(TEAM), (NOW + timedelta(seconds=2)).timestamp())
        assert holder == "me:1" and lease.held
        # Another run took it over (this one stalled past its expiry): this one stops claiming.
        execute(store, "update leases set holder = 'them:2' where name = ?", (fanout_lease(TEAM),))
        deadline = threading.Event()
        while lease.held and not deadline.wait(0.01):
            pass
        assert not lease.held
    assert store.lease_holder(fanout_lease(TEAM), NOW.timestamp()) == "them:2"


def test_a_fan_out_for_a_workspace_that_removed_the_app_makes_no_call(
    api: SlackWebAPI, store: Store, progression: Progression, client: WebClient
) -> None:
    subscribe(store, "C1")
    subscribe(store, "C2")
    store.mark_departed(TEAM, "the app was uninstalled", NOW)
    report = fanout(store, progression, client)
    assert [(r.channel_id, r.outcome) for r in report.results] == [("C1", "retry"), ("C2", "retry")]
    assert all("removed the app" in r.detail for r in report.results)
    assert api.calls() == [] and store.deliveries(TEAM, "C1") == []  # nothing claimed either


def test_a_runners_fan_out_has_threads_for_its_pace_not_more() -> None:
    from scheduler.fanout import DEFAULT_CONCURRENCY, threads_for
    from scheduler.limits import workspace_limits

    assert threads_for(workspace_limits(300)) == 5  # a window of 5 posts
    assert threads_for(workspace_limits(60)) == 2
    assert threads_for(workspace_limits(60_000)) == DEFAULT_CONCURRENCY
