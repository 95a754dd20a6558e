"""Gentle reminders, opt-in per role channel: on its weekday, at the schedule's time, when not
everyone in the channel has checked this week's move off, one reply in the nudge's thread
naming the move and the count. Never in the channel itself, never twice a week (a weekly post
of kind "reminder", claimed and confirmed), not in a break week, not when everyone is done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from progression.calendar import slot_in_week
from progression.lookup import find_ref
from progression.model import Move, Progression
from scheduler.digest import refresh_channels, weekly_posting
from scheduler.fanout import (
    ChannelResult,
    FanoutContext,
    FanoutReport,
    cut_short_by,
    in_threads,
)
from scheduler.plan import workspace_slot
from store import CELEBRATION, Store, Subscription

logger = logging.getLogger(__name__)

# The reply: the move, how many of how many so far.
ReminderMessage = Callable[[Progression, Move, int, int], dict[str, Any]]


@dataclass(frozen=True)
class Due:
    """A channel to remind: the move of its nudge this week, where that nudge is, the count."""

    subscription: Subscription
    move: Move
    nudge_ts: str
    done: int
    people: int


def reminders_due(
    store: Store,
    progression: Progression,
    team_id: str,
    week: str,
    weekday: int | None,
    report: FanoutReport,
) -> list[Due]:
    """The channels that get a reminder this week (on `weekday`; None: whatever their day);
    what the others get goes in `report`."""
    sent = {p.channel_id for p in store.weekly_posts("reminder", team_id, week)}
    sizes = store.channel_sizes(team_id)
    due = []
    for subscription in store.subscriptions(team_id):
        channel = subscription.channel_id
        wanted = subscription.remind_weekday
        if not subscription.active or wanted is None or weekday not in (None, wanted):
            continue
        if channel in sent:
            report.results.append(ChannelResult(channel, "skipped", "reminder"))
            continue
        nudge = next(
            (d for d in store.deliveries(team_id, channel) if d.week == week and d.ts), None
        )
        move = find_ref(progression, nudge.ref) if nudge is not None else None
        if nudge is None or nudge.ref == CELEBRATION or move is None:
            report.results.append(ChannelResult(channel, "nothing", detail="no nudge this week"))
            continue
        people = sizes[channel].people if channel in sizes else None
        done = store.checkoff_count(team_id, channel, nudge.ref)
        if people is None or done >= people:
            detail = "everyone is done" if people is not None else "its people are not known"
            report.results.append(ChannelResult(channel, "nothing", nudge.ref, detail))
            continue
        due.append(Due(subscription, move, str(nudge.ts), done, people))
    return due


def run_reminders(
    context: FanoutContext,
    team_id: str,
    week: str,
    now: datetime,
    message: ReminderMessage,
    *,
    weekday: int | None = None,
    default_tz: str = "UTC",
    dry_run: bool = False,
) -> FanoutReport:
    """Send `week`'s reminders (those of `weekday`, or all); raises `FanoutRunning` when
    another run holds the workspace's lease."""
    started = time.monotonic()
    store = context.store
    if context.sleep is time.sleep:
        context = replace(context, sleep=cut_short_by(context.stop))
    report = FanoutReport(team_id, week, dry_run)
    slot = workspace_slot(store, team_id, default_tz)
    if slot_in_week(week, slot, store.breaks(team_id)) is None:
        return report  # a break week: no nudge, nothing to remind of
    refresh_channels(context, team_id, now)
    due = reminders_due(store, context.progression, team_id, week, weekday, report)
    by_channel = {d.subscription.channel_id: d for d in due}

    def reply(item: Due) -> dict[str, Any]:
        return {
            **message(context.progression, item.move, item.done, item.people),
            "thread_ts": item.nudge_ts,
        }

    if dry_run or not due:
        for item in due:
            channel, text = item.subscription.channel_id, reply(item)["text"]
            report.results.append(ChannelResult(channel, "would_post", item.move.ref, text))
        return report
    with weekly_posting(context, "reminder", team_id, week, now) as sender:

        def send(subscription: Subscription) -> ChannelResult:
            item = by_channel[subscription.channel_id]
            return sender.send(subscription, item.move.ref, reply(item))

        report.results.extend(
            in_threads(send, [d.subscription for d in due], context.concurrency, store)
        )
    report.seconds = time.monotonic() - started
    logger.info("Reminders %s", report.summary())
    return report
