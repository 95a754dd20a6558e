"""What counting costs: lookups and check-offs with metrics on, beside the same app with metrics
off (`PROGRESSION_METRICS=off`) and a bare Bolt app, in the same run.

    .venv/bin/python -m benchmarks.metrics_cost [--seconds 4] [--rounds 3] [--events 4000]

Three apps on 127.0.0.1, each its own gunicorn (progression-bot as deployed, `serve --http`
with a web worker per core and its runner; the bare app as `benchmarks/bare_app.py`):
- lookups: `/progression phase 3`, fresh signed requests over 8 keep-alive connections sent back
  to back, the apps alternating round by round; the medians of the rounds, and each app's ratio
  to the bare app (target: metrics on at least 0.8x);
- check-offs: `--events` reaction events (10% Slack-style retries) to each progression-bot, on
  a database of its own, rounds alternating; events per second (target: metrics on at least
  1,000/s), and on / off.
Then the metrics-on app's /metrics is read back: it must count what was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from benchmarks.bare_app import start_bare_app
from benchmarks.loadgen import saturate
from benchmarks.lookup_http import signed_command
from benchmarks.reactions import add_nudges, build_events, send_all, signed
from tests.conftest import RunningApp, app_env, free_port, start_http_app, stop_app
from tests.slack.web_api import SlackWebAPI

HOST = "127.0.0.1"
BARE, ON, OFF = (
    'bare Bolt app (acks "ok")',
    "progression-bot, metrics on",
    "progression-bot, metrics off",
)


def port_of(app: RunningApp) -> int:
    return int(app.url.rsplit(":", 1)[1])


def counted_requests(app: RunningApp) -> dict[str, float]:
    """progression_slack_requests_total by kind, from the app's own /metrics."""
    with urllib.request.urlopen(app.url + "/metrics", timeout=10) as answer:
        page = answer.read().decode()
    counted: dict[str, float] = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == "progression_slack_requests_total":
                kind = sample.labels["kind"]
                counted[kind] = counted.get(kind, 0.0) + sample.value
    return counted


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="each lookup round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=4000, help="reaction events per round")
    parser.add_argument("--connections", type=int, default=16, help="for the check-offs")
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    events, _ = build_events(args.events, max(1, args.events // 5))

    with contextlib.ExitStack() as stack:
        api = stack.enter_context(SlackWebAPI())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        apps: dict[str, RunningApp] = {}
        for name, switch in ((ON, "on"), (OFF, "off")):
            folder = workdir / switch
            folder.mkdir()
            env = app_env(api, folder / "progression.db", PROGRESSION_METRICS=switch)
            add_nudges(folder / "progression.db")
            apps[name] = start_http_app(env, folder, workers=workers)
            stack.callback(stop_app, apps[name])
        bare_port = free_port()
        bare = start_bare_app(app_env(api, workdir / "bare.db"), bare_port)
        stack.callback(bare.wait, 30)
        stack.callback(bare.terminate)
        ports = {BARE: bare_port, ON: port_of(apps[ON]), OFF: port_of(apps[OFF])}

        lookups: dict[str, list[float]] = {name: [] for name in ports}
        sent: dict[str, int] = {name: 0 for name in ports}
        for _ in range(args.rounds):
            for name, port in ports.items():
                result = asyncio.run(saturate(HOST, port, _fresh(port), 8, args.seconds))
                lookups[name].append(result.per_second)
                sent[name] += result.ok
        checkoffs: dict[str, list[float]] = {ON: [], OFF: []}
        for n in range(args.rounds):
            for name in (ON, OFF):
                port = ports[name]
                # Each round's events are new to the app: event ids of their own.
                fresh = [
                    type(e)(e.body.replace(b'"EvB', f'"E{n}B'.encode()), e.retry) for e in events
                ]
                result = asyncio.run(
                    send_all(port, [signed(port, e) for e in fresh], args.connections)
                )
                checkoffs[name].append(result.per_second)
        counted = counted_requests(apps[ON])

    report = {
        "workers": workers,
        "rounds": args.rounds,
        "lookups_per_second": {k: statistics.median(v) for k, v in lookups.items()},
        "lookup_rounds": lookups,
        "checkoff_events_per_second": {k: statistics.median(v) for k, v in checkoffs.items()},
        "checkoff_rounds": checkoffs,
        "metrics_counted_commands": counted.get("command", 0.0),
        "commands_sent_to_metrics_on": sent[ON],
    }
    _print(report, args)
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics_cost.json").write_text(json.dumps(report, indent=2))


def _fresh(port: int) -> Callable[[], bytes]:
    return lambda: signed_command(port, "phase 3")


def _print(report: dict[str, object], args: argparse.Namespace) -> None:
    lookups: dict[str, float] = report["lookups_per_second"]  # type: ignore[assignment]
    rounds: dict[str, list[float]] = report["lookup_rounds"]  # type: ignore[assignment]
    checkoffs: dict[str, float] = report["checkoff_events_per_second"]  # type: ignore[assignment]
    check_rounds: dict[str, list[float]] = report["checkoff_rounds"]  # type: ignore[assignment]
    print(
        f"{args.rounds} rounds, the apps alternating; lookups {args.seconds:g} s a round over 8 "
        f"connections, check-offs {args.events} reaction events a round over "
        f"{args.connections}; {report['workers']} web worker(s) each; medians of the rounds"
    )
    print("| app | lookups/s | rounds | x bare | check-off events/s | rounds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rate in lookups.items():
        each = ", ".join(f"{r:.0f}" for r in rounds[name])
        ratio = rate / lookups[BARE]
        events = f"{checkoffs[name]:.0f}" if name in checkoffs else ""
        events_each = ", ".join(f"{r:.0f}" for r in check_rounds.get(name, []))
        print(f"| {name} | {rate:.0f} | {each} | {ratio:.2f} | {events} | {events_each} |")
    on_ratio = lookups[ON] / lookups[BARE]
    print(f"lookups, metrics on / bare: {on_ratio:.2f} (target >= 0.8)")
    print(f"lookups, metrics on / metrics off: {lookups[ON] / lookups[OFF]:.2f}")
    print(f"check-offs with metrics on: {checkoffs[ON]:.0f} events/s (target >= 1000)")
    print(f"check-offs, metrics on / metrics off: {checkoffs[ON] / checkoffs[OFF]:.2f}")
    print(
        f"/metrics counted {report['metrics_counted_commands']:.0f} commands of the "
        f"{report['commands_sent_to_metrics_on']} sent to the metrics-on app"
    )


if __name__ == "__main__":
    main()
