"""What a channel gets next and when: the domain's rules applied to what the store holds."""

from __future__ import annotations

import logging
from datetime import datetime, time

from progression.calendar import CalendarError, WeeklySlot, next_slot, slot_in_week, week_of
from progression.lookup import role_moves
from progression.model import Progression
from progression.next_move import Celebration, Nudge, Posted, next_move_for, upcoming
from store import CELEBRATION, Store, Subscription

logger = logging.getLogger(__name__)

DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_AT = time(8, 0)


def workspace_slot(store: Store, team_id: str, default_timezone: str) -> WeeklySlot:
    """The workspace's schedule, or Monday 08:00 in PROGRESSION_TZ."""
    return store.schedule(team_id) or WeeklySlot(DEFAULT_WEEKDAY, DEFAULT_AT, default_timezone)


def first_week_for_new_subscription(
    store: Store, team_id: str, default_timezone: str, now: datetime
) -> tuple[str, datetime]:
    """A channel subscribed after this week's slot starts at the next slot."""
    slot = workspace_slot(store, team_id, default_timezone)
    return next_slot(now, slot, store.breaks(team_id))


def _history(store: Store, subscription: Subscription) -> tuple[list[Posted], bool]:
    deliveries = store.deliveries(subscription.team_id, subscription.channel_id)
    posted = [Posted(d.ref, d.round) for d in deliveries if d.ref != CELEBRATION]
    return posted, any(d.ref == CELEBRATION for d in deliveries)


def plan_for(
    store: Store, progression: Progression, subscription: Subscription
) -> Nudge | Celebration | None:
    """The move this channel gets at its next nudge (SPEC §4, "Which move")."""
    moves = role_moves(progression, subscription.role, subscription.phases or None)
    posted, celebrated = _history(store, subscription)
    checked = store.checked_refs(subscription.team_id, subscription.channel_id)
    return next_move_for(moves, posted, checked, celebrated)


def plan_ahead(
    store: Store, progression: Progression, subscription: Subscription, count: int = 2
) -> list[Nudge | Celebration]:
    """The next `count` nudges, assuming nothing more is checked off."""
    moves = role_moves(progression, subscription.role, subscription.phases or None)
    posted, celebrated = _history(store, subscription)
    checked = store.checked_refs(subscription.team_id, subscription.channel_id)
    return upcoming(moves, posted, checked, celebrated, count)


def next_nudge_at(
    store: Store, subscription: Subscription, default_timezone: str, now: datetime
) -> tuple[str, datetime]:
    """The week and time of this channel's next nudge: this week's slot if the channel has
    not had it yet, else the next slot; never before the channel's first week."""
    slot = workspace_slot(store, subscription.team_id, default_timezone)
    breaks = store.breaks(subscription.team_id)
    this_week = week_of(now, slot.timezone)
    delivered = store.delivered_channels(subscription.team_id, this_week)
    at = slot_in_week(this_week, slot, breaks)
    if at and subscription.channel_id not in delivered and this_week >= subscription.first_week:
        return this_week, max(at, now)  # a slot already past goes out at the next run
    week, at = next_slot(now, slot, breaks)
    while week < subscription.first_week:
        week, at = next_slot(at, slot, breaks)
    return week, at


def next_workspace_nudge(
    store: Store, team_id: str, default_timezone: str, now: datetime
) -> datetime | None:
    """The workspace's next slot, or None (logged) when the calendar cannot compute one:
    the reply that shows it still goes out, and says so."""
    slot = workspace_slot(store, team_id, default_timezone)
    try:
        return next_slot(now, slot, store.breaks(team_id))[1]
    except CalendarError as error:
        logger.warning("No next nudge for %s: %s", team_id, error)
        return None


def next_channel_nudge(
    store: Store, subscription: Subscription, default_timezone: str, now: datetime
) -> datetime | None:
    """`next_nudge_at`'s time, or None (logged) when the calendar cannot compute it."""
    try:
        return next_nudge_at(store, subscription, default_timezone, now)[1]
    except CalendarError as error:
        logger.warning("No next nudge for %s: %s", subscription.channel_id, error)
        return None
