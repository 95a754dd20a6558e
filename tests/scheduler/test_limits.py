"""Our side of Slack's limits: the workspace window, 429 pauses and the per-channel second."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from slack_sdk import WebClient

from scheduler.limits import (
    ChannelSpacing,
    SlackLimits,
    SlackPoster,
    WorkspacePacer,
    acquire_post,
    retry_after,
)
from tests.conftest import BOT_TOKEN
from tests.slack.web_api import SlackWebAPI


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


class FakeClock:
    """Seconds that pass only when a test says so (`advance`) or the code sleeps (`sleep`)."""

    def __init__(self) -> None:
        self._now = 1000.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))


def acquiring(pacer: WorkspacePacer) -> threading.Event:
    """`acquire()` on a thread of its own: the event is set once it returns."""
    done = threading.Event()

    def take() -> None:
        pacer.acquire()
        done.set()

    threading.Thread(target=take, daemon=True).start()
    return done


# A wrong pacer lets a waiting post through within moments; a right one never does until the
# fake clock moves. (Real seconds here only bound how long the test looks.)
STILL_WAITING = 0.3


def test_a_pause_holds_every_post_until_retry_after() -> None:
    clock = FakeClock()
    pacer = WorkspacePacer(SlackLimits(per_second=1000), monotonic=clock.monotonic)
    pacer.acquire()
    pacer.done()
    pacer.pause(0.3)
    assert pacer.paused_for == pytest.approx(0.3)
    post = acquiring(pacer)
    clock.advance(0.29)
    assert not post.wait(STILL_WAITING), "nothing leaves during the pause"
    clock.advance(0.01)
    assert post.wait(timeout=5)


def test_a_full_window_opens_again_whole_a_window_after_its_last_answer() -> None:
    clock = FakeClock()
    pacer = WorkspacePacer(SlackLimits(per_second=2, margin=0.0), monotonic=clock.monotonic)
    pacer.acquire()
    pacer.acquire()  # full: two posts in flight
    granted: list[float] = []
    lock = threading.Lock()
    both = threading.Barrier(3)

    def post() -> None:
        pacer.acquire()
        with lock:
            granted.append(clock.monotonic())
        both.wait(timeout=5)

    waiting = [threading.Thread(target=post, daemon=True) for _ in range(2)]
    for thread in waiting:
        thread.start()
    first_answer = clock.monotonic()
    pacer.done()
    clock.advance(0.3)  # the second answer comes later
    pacer.done()
    last_answer = clock.monotonic()
    # Not one at a time as answers age out (the first a window after the first answer):
    clock.advance(first_answer + 1.0 - clock.monotonic())
    with pytest.raises(threading.BrokenBarrierError):
        both.wait(timeout=STILL_WAITING)
    assert not granted, "nothing leaves while the window is closed"
    both.reset()
    # both together, a window after the last answer.
    clock.advance(last_answer + 1.0 - clock.monotonic())
    both.wait(timeout=5)
    assert granted == [last_answer + 1.0] * 2


def test_a_window_that_is_not_full_lets_a_post_go_at_once() -> None:
    clock = FakeClock()
    pacer = WorkspacePacer(SlackLimits(per_second=3, margin=0.0), monotonic=clock.monotonic)
    for _ in range(3):
        assert acquiring(pacer).wait(timeout=5), "left while the clock stood still"
        pacer.done()


def test_a_channel_gets_one_post_per_interval_even_when_the_workspace_waits() -> None:
    clock = FakeClock()
    limits = SlackLimits(per_second=1000, channel_interval=0.2, margin=0.0)
    pacer = WorkspacePacer(limits, monotonic=clock.monotonic)
    spacing = ChannelSpacing(limits, monotonic=clock.monotonic, sleep=clock.sleep)
    times: dict[str, list[float]] = {"C1": [], "C2": []}
    for _ in range(3):
        for channel in times:
            with acquire_post(pacer, spacing, channel) as slot:
                slot.sending()
                times[channel].append(clock.monotonic())
    for sent in times.values():
        gaps = [b - a for a, b in itertools.pairwise(sent)]
        assert min(gaps) >= 0.2
    assert times["C1"][0] == times["C2"][0]  # other channels do not wait


def test_a_place_given_back_unsent_counts_against_neither_limit() -> None:
    clock = FakeClock()
    limits = SlackLimits(per_second=1, channel_interval=5.0, margin=0.0)
    pacer = WorkspacePacer(limits, monotonic=clock.monotonic)
    spacing = ChannelSpacing(limits, monotonic=clock.monotonic, sleep=clock.sleep)
    with acquire_post(pacer, spacing, "C1"):
        pass  # claimed by another run meanwhile: nothing sent
    started = clock.monotonic()
    with acquire_post(pacer, spacing, "C1") as slot:
        slot.sending()
    assert clock.monotonic() == started, "it left without waiting"


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


def test_a_429_answered_while_a_post_gets_ready_holds_it_until_the_pause_ends(
    api: SlackWebAPI,
) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=api.url, retry_handlers=[])
    waits: list[tuple[float, int]] = []  # (seconds, posts Slack had got by then)

    def sleep(seconds: float) -> None:
        waits.append((seconds, len(api.calls("chat.postMessage"))))

    poster = SlackPoster(client, SlackLimits(margin=0.0), sleep=sleep)

    def claim() -> bool:
        # Another post of the same window was answered 429 while this one's claim was written.
        poster.pacer.pause(2.0)
        return True

    result = poster.post("C1", {"text": "hi"}, claim=claim)
    assert result.kind == "sent"
    assert waits and waits[0][1] == 0 and 1.5 < waits[0][0] <= 2.0, "waited before it left"
