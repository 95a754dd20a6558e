"""Seeding through the app itself: the admin subscribes the role channels with /progression,
then the workspace's clock walks through past weekly slots so the app's own scheduler posts
each week's nudges, and the seeded people check some of them off with ✅."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workspace import district
from workspace.people_act import Acts
from workspace.state import BOT_USER_ID, Workspace

logger = logging.getLogger("workspace.seed")

Run = Callable[[Coroutine[Any, Any, Any]], Any]
POST_TIMEOUT = 30.0
# The district opens an hour after its latest week's nudges went out, whatever the day it is
# started on: that week's digest (Friday) and the next nudges (Monday) are both ahead of it.
OPENS_AFTER_LATEST = timedelta(hours=1)


class SeedError(Exception):
    """The app did not do what the seed asked of it in time."""


def past_slots(now: datetime, weeks: int = district.PAST_WEEKS) -> list[datetime]:
    """The last `weeks` Monday 08:00 slots (America/Chicago) at or before `now`, oldest first."""
    local = now.astimezone(ZoneInfo(district.TIMEZONE))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    if monday > local:
        monday -= timedelta(weeks=1)
    return [monday - timedelta(weeks=n) for n in reversed(range(weeks))]


def opening_time(now: datetime) -> datetime:
    """Where the workspace's clock stands once the district is seeded: just after the latest
    past slot's nudges, so the seeded week's digest has not gone out yet."""
    return past_slots(now, 1)[-1] + OPENS_AFTER_LATEST


def seed(
    workspace: Workspace,
    acts: Acts,
    run: Run,
    rearm: Callable[[], None],
    is_nudge: Callable[[str, str], bool],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Fill a reset workspace, whose app is connected, with the district's recent weeks, and
    leave its clock on the morning of the latest one (`opening_time`)."""
    clock = workspace.clock
    started = now()
    slots = past_slots(started)
    clock.set(slots[0] - timedelta(hours=1))
    admin = district.ADMIN.id
    run(acts.command(admin, district.GENERAL.id, f"/progression schedule {district.SCHEDULE}"))
    for channel_id, role in district.ROLE_CHANNELS.items():
        before = workspace.count(channel_id)
        run(acts.command(admin, channel_id, f"/progression subscribe {role}"))
        _wait_for_posts(workspace, channel_id, before + 1)  # the announcement
    for week, slot in enumerate(slots):
        counts = {c: workspace.count(c) for c in district.ROLE_CHANNELS}
        clock.set(slot - timedelta(seconds=1))
        rearm()
        for channel_id, before in counts.items():
            _wait_for_posts(workspace, channel_id, before + 1)
        for channel_id, people in district.CHECK_OFFS.get(week, {}).items():
            nudge = _latest_post(workspace, channel_id)
            _wait_for_confirmation(is_nudge, channel_id, nudge)
            for person in people:
                run(acts.react(person.id, channel_id, nudge, "white_check_mark"))
    clock.set(opening_time(started))
    rearm()
    logger.info("Seeded %d weeks of nudges", len(slots))


def _wait_for_posts(workspace: Workspace, channel_id: str, count: int) -> None:
    if not workspace.wait_until(lambda: workspace.count(channel_id) >= count, POST_TIMEOUT):
        raise SeedError(f"the app did not post in {channel_id} within {POST_TIMEOUT:.0f} s")


def _wait_for_confirmation(is_nudge: Callable[[str, str], bool], channel_id: str, ts: str) -> None:
    """Until the app has confirmed the post as its nudge: a reaction before that is, to the
    app, a reaction on some other message."""
    deadline = time.monotonic() + POST_TIMEOUT
    while not is_nudge(channel_id, ts):
        if time.monotonic() > deadline:
            raise SeedError(f"the app did not confirm its nudge in {channel_id}")
        time.sleep(0.02)  # the fan-out thread writing its confirmation


def _latest_post(workspace: Workspace, channel_id: str) -> str:
    posts = [m for m in workspace.visible(channel_id, "") if m.user == BOT_USER_ID]
    return posts[-1].ts
