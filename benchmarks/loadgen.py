"""A small asyncio HTTP/1.1 load generator for loopback benchmarks (keep-alive, pre-built requests).

Closed loop (`saturate`): N connections send back to back, for throughput.
Open loop (`offered_rate`): requests are due at a fixed rate whether or not earlier ones have
answered, and latency counts from when a request was due, so a stall is not hidden
(no coordinated omission).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def http_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("closed by server")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        await self.reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def send_one(conn: Connection, raw: bytes, due: float, result: Result) -> None:
    result.sent += 1
    try:
        status = await conn.send(raw)
    except (OSError, ConnectionError, asyncio.IncompleteReadError):
        result.errors += 1
        await conn.close()
        return
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if status == 200:
        result.ok += 1
        result.latencies.append(time.perf_counter() - due)
    else:
        result.errors += 1


async def saturate(
    host: str, port: int, next_request: Callable[[], bytes], connections: int, seconds: float
) -> Result:
    """As many requests as `connections` keep-alive connections can carry in `seconds`."""
    result = Result()
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        conn = Connection(host, port)
        while time.perf_counter() < stop_at:
            await send_one(conn, next_request(), time.perf_counter(), result)
        await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - start
    return result


async def offered_rate(
    host: str,
    port: int,
    next_request: Callable[[], bytes],
    rate: float,
    seconds: float,
    connections: int = 64,
) -> Result:
    """Requests due every 1/rate seconds for `seconds`; latency from each one's due time."""
    result = Result()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(host, port))
    start = time.perf_counter()
    total = int(rate * seconds)
    tasks = []

    async def fire(due: float) -> None:
        conn = await idle.get()
        try:
            await send_one(conn, next_request(), due, result)
        finally:
            idle.put_nowait(conn)

    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(due)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - start
    while not idle.empty():
        await idle.get_nowait().close()
    return result
