"""The app's Prometheus metrics, one set per process, counted only once `enable` was called.

Every process of a `serve --http` counts into prometheus_client's multiprocess directory
(bot/observe/multiprocess.py): the web workers and the runner beside them, so one scrape of
`GET /metrics` on any worker sums the host. A process that never called `enable` (the
`progression-bot nudge` command, which reports in its own output; `PROGRESSION_METRICS=off`;
tests that build an app in-process) counts nothing, at the cost of one `None` check.

The names, with their units (docs/deploying.md, "What to monitor", lists them for operators):
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

# Slack waits 3 seconds for an answer: the buckets are fine below that, and one above says late.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
# A fan-out of a few channels takes seconds; a district's thousand, at Slack's pace, minutes.
FANOUT_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
# The outcomes of a weekly post that are counted: the others (skipped, nothing to post, a dry
# run's) are not posts.
COUNTED_OUTCOMES = frozenset({"posted", "failed", "unconfirmed", "retry", "deactivated"})

# Every metric the app exports, by the name Prometheus shows (a counter's with `_total`, a
# histogram's with `_bucket`, `_sum` and `_count`); the dashboard's test holds it to this list.
REQUESTS = "progression_slack_requests_total"
ACK_SECONDS = "progression_slack_ack_seconds"
API_CALLS = "progression_slack_api_calls_total"
APP_RATE_LIMITED = "progression_slack_app_rate_limited_total"
DELIVERY_FAILURE_RATIO = "progression_slack_event_delivery_failure_ratio"
POSTS = "progression_weekly_posts_total"
FANOUT_SECONDS = "progression_fanout_duration_seconds"
CHECKOFFS = "progression_checkoffs_recorded_total"
OUTBOX_DEPTH = "progression_outbox_depth"
OUTBOX_OLDEST = "progression_outbox_oldest_age_seconds"
DATABASE_UP = "progression_database_up"
RUNNER_LEASE_LIVE = "progression_runner_lease_live"
LEASE_HELD = "progression_runner_lease_held"
LEASE_HELD_SECONDS = "progression_runner_lease_held_seconds"
BUILD_INFO = "progression_build_info"


@dataclass(frozen=True)
class AppMetrics:
    requests: Counter
    ack_seconds: Histogram
    api_calls: Counter
    app_rate_limited: Counter
    delivery_failure_ratio: Gauge
    posts: Counter
    fanout_seconds: Histogram
    checkoffs: Counter
    lease_held: Gauge
    lease_held_seconds: Gauge
    build_info: Gauge


_metrics: AppMetrics | None = None


def enable() -> AppMetrics:
    """Count from now on in this process (once; again returns the same metrics). Call it after
    `multiprocess.use_directory` in a process that shares a directory with others."""
    global _metrics
    if _metrics is None:
        _metrics = _build()
    return _metrics


def enabled() -> AppMetrics | None:
    return _metrics


def _build() -> AppMetrics:
    from prometheus_client import Counter, Gauge, Histogram

    built = AppMetrics(
        requests=Counter(
            REQUESTS.removesuffix("_total"),
            "Slack's requests to /slack/events, by kind and the class of the app's answer.",
            ["kind", "answer"],
        ),
        ack_seconds=Histogram(
            ACK_SECONDS,
            "Seconds from a Slack request's arrival to the app's answer (its ack), by kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
        ),
        api_calls=Counter(
            API_CALLS.removesuffix("_total"),
            "Slack Web API calls (each attempt), by method and outcome: ok, Slack's error name, "
            "429, 5xx, timeout or connection_error.",
            ["method", "outcome"],
        ),
        app_rate_limited=Counter(
            APP_RATE_LIMITED.removesuffix("_total"),
            "Slack's app_rate_limited notices: the workspace's events were being dropped.",
        ),
        delivery_failure_ratio=Gauge(
            DELIVERY_FAILURE_RATIO,
            "Share of Slack's event deliveries in the last hour this process answered with a "
            "non-2xx or after 3 s (Slack turns events off at 0.05).",
            multiprocess_mode="livemax",
        ),
        posts=Counter(
            POSTS.removesuffix("_total"),
            "The runner's weekly posts, by kind (nudge, digest, reminders) and outcome.",
            ["kind", "outcome"],
        ),
        fanout_seconds=Histogram(
            FANOUT_SECONDS,
            "Seconds one workspace's weekly run took (its nudges, digest or reminders).",
            ["kind"],
            buckets=FANOUT_BUCKETS,
        ),
        checkoffs=Counter(
            CHECKOFFS.removesuffix("_total"),
            "Check-offs recorded (checked) or taken back (unchecked).",
            ["change"],
        ),
        lease_held=Gauge(
            LEASE_HELD,
            "1 while a runner of this host holds the runner lease.",
            multiprocess_mode="livemax",
        ),
        lease_held_seconds=Gauge(
            LEASE_HELD_SECONDS,
            "Seconds the runner of this host has held the runner lease (0 while it does not).",
            multiprocess_mode="livemax",
        ),
        build_info=Gauge(
            BUILD_INFO,
            "The app's version, as a label (a gauge: multiprocess mode has no Info).",
            ["version"],
            multiprocess_mode="livemax",
        ),
    )
    built.build_info.labels(version=app_version()).set(1)
    return built


def app_version() -> str:
    try:
        return version("progression-bot")
    except PackageNotFoundError:  # a source tree never installed
        return "unknown"


# --- What the app counts, each a no-op until `enable` ---------------------------------------


def count_request(kind: str, status: int, seconds: float) -> None:
    metrics = _metrics
    if metrics is None:
        return
    metrics.requests.labels(kind=kind, answer=f"{status // 100}xx").inc()
    metrics.ack_seconds.labels(kind=kind).observe(seconds)


def count_api_call(method: str, outcome: str) -> None:
    metrics = _metrics
    if metrics is not None:
        metrics.api_calls.labels(method=method, outcome=outcome).inc()


def count_app_rate_limited() -> None:
    metrics = _metrics
    if metrics is not None:
        metrics.app_rate_limited.inc()


def show_delivery_failure_ratio(ratio: float) -> None:
    metrics = _metrics
    if metrics is not None:
        metrics.delivery_failure_ratio.set(ratio)


def count_checkoff(change: str) -> None:
    """`change`: a check-off's outcome; only "checked" and "unchecked" changed anything."""
    metrics = _metrics
    if metrics is not None and change in ("checked", "unchecked"):
        metrics.checkoffs.labels(change=change).inc()


def count_weekly_run(kind: str, outcomes: dict[str, int], seconds: float) -> None:
    """One workspace's weekly run: its posts by outcome, and how long it took."""
    metrics = _metrics
    if metrics is None:
        return
    for outcome, count in outcomes.items():
        if outcome in COUNTED_OUTCOMES and count:
            metrics.posts.labels(kind=kind, outcome=outcome).inc(count)
    metrics.fanout_seconds.labels(kind=kind).observe(seconds)


def show_runner_lease(held: bool, held_for: float) -> None:
    metrics = _metrics
    if metrics is None:
        return
    metrics.lease_held.set(1 if held else 0)
    metrics.lease_held_seconds.set(held_for if held else 0.0)
