"""`/progression phase 3` over HTTP with real signed requests, beside a bare Bolt app.

    .venv/bin/python -m benchmarks.lookup_http [--seconds 5] [--rounds 3] [--rate 500]

Both apps run as their own gunicorn process on 127.0.0.1 and are measured alternately in the
same run: throughput with 8 keep-alive connections sending back to back, then latency with
requests offered at a fixed rate (open loop; latency counts from when each request was due),
each the median of its rounds. The baseline is a bare Bolt app at its best (one sync worker per
core, `benchmarks/bare_app.py`); progression-bot runs as deployed, `serve --http` with a web
worker per core and its runner beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.bare_app import start_bare_app
from benchmarks.loadgen import Result, http_request, offered_rate, saturate
from tests.conftest import SIGNING_SECRET, app_env, free_port, start_http_app, stop_app
from tests.slack.signing import sign, slash_command_body
from tests.slack.web_api import SlackWebAPI

HOST = "127.0.0.1"


def signed_command(port: int, text: str) -> bytes:
    body = urllib.parse.urlencode(slash_command_body(text)).encode()
    headers = sign(SIGNING_SECRET, body, int(time.time()))
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return http_request(HOST, port, "/slack/events", body, headers)


@dataclass(frozen=True)
class Summary:
    """Medians over the rounds, and each round's figures to show the spread."""

    app: str
    requests_per_second: float
    rounds_requests_per_second: list[float]
    p50_ms: float
    p99_ms: float
    rounds_p99_ms: list[float]
    offered_rate: float
    errors: int


def _summary(name: str, throughput: list[Result], latency: list[Result]) -> Summary:
    return Summary(
        app=name,
        requests_per_second=statistics.median(r.per_second for r in throughput),
        rounds_requests_per_second=[round(r.per_second) for r in throughput],
        p50_ms=statistics.median(r.median() for r in latency) * 1000,
        p99_ms=statistics.median(r.percentile(99) for r in latency) * 1000,
        rounds_p99_ms=[round(r.percentile(99) * 1000, 2) for r in latency],
        offered_rate=statistics.median(r.sent / r.seconds for r in latency),
        errors=sum(r.errors for r in throughput) + sum(r.errors for r in latency),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=500.0)
    args = parser.parse_args()

    with SlackWebAPI() as api, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = app_env(api, workdir / "progression.db")
        ours = start_http_app(env, workdir, workers=os.cpu_count() or 1)
        bare_port = free_port()
        bare = start_bare_app(env, bare_port)
        ours_port = int(ours.url.rsplit(":", 1)[1])
        try:
            apps = {'bare Bolt app (acks "ok")': bare_port, "progression-bot": ours_port}
            # A fresh request each time, as Slack sends: the same signed bytes twice would be a
            # replay, which the app answers without acting on.
            requests = {port: _fresh(port, "phase 3") for port in apps.values()}
            throughput: dict[str, list[Result]] = {name: [] for name in apps}
            for _ in range(args.rounds):
                for name, port in apps.items():
                    run = saturate(HOST, port, requests[port], 8, args.seconds)
                    throughput[name].append(asyncio.run(run))
            latency: dict[str, list[Result]] = {name: [] for name in apps}
            for _ in range(args.rounds):
                for name, port in apps.items():
                    run = offered_rate(HOST, port, requests[port], args.rate, args.seconds * 2)
                    latency[name].append(asyncio.run(run))
        finally:
            bare.terminate()
            bare.wait(timeout=30)
            stop_app(ours)
    rows = [_summary(name, throughput[name], latency[name]) for name in apps]
    ratio = rows[1].requests_per_second / rows[0].requests_per_second
    p99_ratio = rows[1].p99_ms / rows[0].p99_ms
    _report(rows, ratio, p99_ratio, args)


def _fresh(port: int, text: str) -> Callable[[], bytes]:
    return lambda: signed_command(port, text)


def _report(rows: list[Summary], ratio: float, p99_ratio: float, args: argparse.Namespace) -> None:
    print(
        f"/progression phase 3, {args.rounds} rounds x {args.seconds:g} s of throughput, "
        f"then {args.rounds} rounds of {args.rate:g} requests/s offered for {args.seconds * 2:g} s,"
        " the apps alternating; medians of the rounds"
    )
    print("| app | requests/s | rounds | p50 ms | p99 ms at the rate | rounds | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row.app} | {row.requests_per_second:.0f} "
            f"| {', '.join(f'{r:.0f}' for r in row.rounds_requests_per_second)} "
            f"| {row.p50_ms:.2f} | {row.p99_ms:.2f} "
            f"| {', '.join(f'{r:.2f}' for r in row.rounds_p99_ms)} | {row.errors} |"
        )
    print(f"throughput ratio progression-bot / bare: {ratio:.2f} (target >= 0.8)")
    print(f"p99 ratio progression-bot / bare: {p99_ratio:.2f} (target <= 1.5)")
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    report = {"rows": [asdict(r) for r in rows], "ratio": ratio, "p99_ratio": p99_ratio}
    (out / "lookup_http.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
