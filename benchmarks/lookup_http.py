"""`/progression phase 3` over HTTP with real signed requests, beside a bare Bolt app.

    .venv/bin/python -m benchmarks.lookup_http [--seconds 5] [--rounds 3] [--rate 500]

Both apps run as their own gunicorn process on 127.0.0.1 and are measured alternately in the
same run: throughput with 8 keep-alive connections sending back to back (median of the rounds),
then latency with requests offered at a fixed rate (open loop; latency counts from when each
request was due).
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


def _summary(name: str, throughput: list[Result], latency: Result) -> dict[str, float | str]:
    return {
        "app": name,
        "requests_per_second": statistics.median(r.per_second for r in throughput),
        "errors": sum(r.errors for r in throughput) + latency.errors,
        "offered_rate": latency.sent / latency.seconds,
        "p50_ms": latency.median() * 1000,
        "p99_ms": latency.percentile(99) * 1000,
    }


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
            requests = {port: _constant(signed_command(port, "phase 3")) for port in apps.values()}
            throughput: dict[str, list[Result]] = {name: [] for name in apps}
            for _ in range(args.rounds):
                for name, port in apps.items():
                    run = saturate(HOST, port, requests[port], 8, args.seconds)
                    throughput[name].append(asyncio.run(run))
            latency = {
                name: asyncio.run(
                    offered_rate(HOST, port, requests[port], args.rate, args.seconds * 2)
                )
                for name, port in apps.items()
            }
        finally:
            bare.terminate()
            bare.wait(timeout=30)
            stop_app(ours)
    rows = [_summary(name, throughput[name], latency[name]) for name in apps]
    ratio = float(rows[1]["requests_per_second"]) / float(rows[0]["requests_per_second"])
    _report(rows, ratio, args)


def _constant(request: bytes) -> Callable[[], bytes]:
    return lambda: request


def _report(rows: list[dict[str, float | str]], ratio: float, args: argparse.Namespace) -> None:
    print(
        f"/progression phase 3, {args.rounds} rounds x {args.seconds:g} s, "
        f"then {args.rate:g} requests/s offered for {args.seconds * 2:g} s"
    )
    print("| app | requests/s (median) | p50 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['app']} | {row['requests_per_second']:.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {row['errors']} |"
        )
    print(f"throughput ratio progression-bot / bare: {ratio:.2f}")
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "lookup_http.json").write_text(json.dumps({"rows": rows, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
