"""Our side of Slack's limits: the workspace window, 429 pauses and the per-channel second."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from scheduler.limits import (
    ChannelSpacing,
    SlackLimits,
    WorkspacePacer,
    acquire_post,
    retry_after,
)


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_pacer_never_lets_more_than_the_rate_into_any_window_across_threads() -> None:
    pacer = WorkspacePacer(SlackLimits(per_second=100, margin=0.0))
    sent: list[float] = []
    lock = threading.Lock()

    def post(count: int) -> None:
        for _ in range(count):
            pacer.acquire()
            with lock:
                sent.append(time.monotonic())
            pacer.done()

    threads = [threading.Thread(target=post, args=(50,)) for _ in range(5)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 250
    assert _max_in_window(sent, 1.0) <= 100
    assert time.monotonic() - started >= 2.0  # 250 posts need three windows


def test_a_pause_holds_every_post_until_retry_after() -> None:
    pacer = WorkspacePacer(SlackLimits(per_second=1000))
    pacer.acquire()
    pacer.done()
    pacer.pause(0.3)
    assert pacer.paused_for > 0.2
    started = time.monotonic()
    pacer.acquire()
    assert time.monotonic() - started >= 0.29


def test_a_full_window_of_posts_in_flight_holds_the_next_one_until_an_answer() -> None:
    pacer = WorkspacePacer(SlackLimits(per_second=2, margin=0.0))
    pacer.acquire()
    pacer.acquire()
    released = threading.Event()

    def post() -> None:
        pacer.acquire()
        released.set()

    third = threading.Thread(target=post)
    third.start()
    assert not released.wait(0.2), "two posts in flight fill a window of two"
    pacer.done()
    assert released.wait(2.0)
    third.join()


def test_a_channel_gets_one_post_per_interval_even_when_the_workspace_waits() -> None:
    limits = SlackLimits(per_second=1000, channel_interval=0.2, margin=0.0)
    pacer, spacing = WorkspacePacer(limits), ChannelSpacing(limits)
    times: dict[str, list[float]] = {"C1": [], "C2": []}
    for _ in range(3):
        for channel in times:
            with acquire_post(pacer, spacing, channel):
                times[channel].append(time.monotonic())
    for sent in times.values():
        gaps = [b - a for a, b in itertools.pairwise(sent)]
        assert min(gaps) >= 0.199
    assert abs(times["C1"][0] - times["C2"][0]) < 0.05  # other channels do not wait


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": ["7"]}, 7.0),
        ({"Retry-After": "soon"}, 1.0),
        ({}, 1.0),
    ],
)
def test_retry_after_reads_slacks_header(headers: dict[str, object], seconds: float) -> None:
    assert retry_after(headers) == seconds


def test_backoff_grows_and_is_capped() -> None:
    limits = SlackLimits(backoff_base=1.0, backoff_cap=4.0)
    assert 0.75 <= limits.backoff(1) <= 1.25
    assert 1.5 <= limits.backoff(2) <= 2.5
    assert limits.backoff(10) <= 5.0
