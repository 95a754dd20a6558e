"""docs/grafana-dashboard.json is a Grafana dashboard over the metrics the app exports: valid
JSON, every panel with a Prometheus query, every metric a query names one the app exports,
and the issue's six subjects each shown."""

from __future__ import annotations

import json
import re

from bot.observe import metrics
from tests.conftest import ROOT

DASHBOARD = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
# Names in PromQL that are not metrics: functions, aggregations, keywords, label names.
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "histogram_quantile", "by",
    "without", "le", "kind", "answer", "method", "outcome", "change", "instance", "version",
}  # fmt: skip
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exported() -> set[str]:
    names = {v for k, v in vars(metrics).items() if k.isupper() and isinstance(v, str)}
    names = {n for n in names if n.startswith("progression_")}
    histograms = {metrics.ACK_SECONDS, metrics.FANOUT_SECONDS}
    # A histogram is queried by its series, never by its own name.
    return (names - histograms) | {h + suffix for h in histograms for suffix in HISTOGRAM_SUFFIXES}


def queries() -> list[str]:
    return [t["expr"] for panel in DASHBOARD["panels"] for t in panel["targets"]]


def named_metrics(query: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', "", query)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_strings)
    words = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", without_ranges))
    return words - PROMQL_WORDS


def test_it_is_a_dashboard_with_a_query_in_every_panel() -> None:
    assert DASHBOARD["title"] and DASHBOARD["panels"]
    for panel in DASHBOARD["panels"]:
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["type"] == "prometheus"
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))


def test_its_queries_name_only_metrics_the_app_exports() -> None:
    for query in queries():
        unknown = named_metrics(query) - exported()
        assert not unknown, f"{query}: {unknown}"


def test_it_shows_what_the_issue_asks_for() -> None:
    shown = set().union(*(named_metrics(q) for q in queries()))
    for subject in (
        metrics.REQUESTS,  # requests and their answers
        metrics.ACK_SECONDS + "_bucket",  # ack latency
        metrics.API_CALLS,  # Slack's errors and 429s
        metrics.FANOUT_SECONDS + "_bucket",  # the fan-out
        metrics.POSTS,
        metrics.OUTBOX_DEPTH,  # the outbox
        metrics.OUTBOX_OLDEST,
        metrics.LEASE_HELD,  # the runner
    ):
        assert subject in shown, subject
    assert any('outcome="429"' in q for q in queries())


def test_the_guide_links_it() -> None:
    assert "(grafana-dashboard.json)" in (ROOT / "docs" / "deploying.md").read_text()
