"""Progress: `/progression progress [me|all]`, the App Home, and check-offs from a button.

Reactions are recorded by the event listener (bot/listeners/events.py); this module reads what
they recorded and shapes it for the views.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from bot import views
from bot.grammar import CommandError, Progress
from bot.handlers.registry import CommandContext, handles
from bot.observe.metrics import count_checkoff
from bot.views import ChannelProgress, HomeMove, PostedMove
from bot.views.progress import home_personal_blocks
from progression.calendar import week_of
from progression.lookup import find_ref, role_moves
from progression.model import Progression
from progression.next_move import Celebration, Nudge
from scheduler.plan import next_channel_nudge, plan_for, workspace_slot
from store import CELEBRATION, Delivery, Store

logger = logging.getLogger(__name__)

HOME_MAX_MOVES = 15


@handles(Progress)
def on_progress(request: Progress, ctx: CommandContext) -> views.Message:
    if request.scope == "me":
        return my_progress(ctx)
    if request.scope == "all":
        return workspace_progress(ctx)
    return channel_progress(ctx)


def channel_progress(ctx: CommandContext) -> views.Message:
    store, progression = ctx.services.store, ctx.services.progression
    subscription = store.subscription(ctx.team_id, ctx.channel_id)
    if subscription is None:
        raise CommandError(
            "This channel is not a role channel, so it has no moves to show.",
            "`/progression progress me` shows your own check-offs; a manager can "
            "`/progression subscribe teacher` here.",
        )
    counts = store.checkoff_counts(ctx.team_id, ctx.channel_id)
    deliveries = store.deliveries(ctx.team_id, ctx.channel_id)
    posted = [
        PostedMove(d.week, move, counts.get((ctx.channel_id, d.ref), 0), d.state == "posted")
        for d in deliveries
        if (move := find_ref(progression, d.ref)) is not None
    ]
    plan = plan_for(store, progression, subscription) if subscription.active else None
    next_move, next_at = None, None
    if isinstance(plan, Nudge):
        next_move = plan.move
        timezone = ctx.services.settings.progression_tz
        next_at = next_channel_nudge(store, subscription, timezone, ctx.now)
    celebrated = isinstance(plan, Celebration) or any(d.ref == CELEBRATION for d in deliveries)
    return views.channel_progress_message(
        progression, subscription.role, posted, next_move, next_at, celebrated
    )


def my_progress(ctx: CommandContext) -> views.Message:
    store = ctx.services.store
    checkoffs = store.user_checkoffs(ctx.team_id, ctx.user_id)
    channels = list(dict.fromkeys(c.channel_id for c in checkoffs))
    return views.my_progress_message(ctx.services.progression, {c.ref for c in checkoffs}, channels)


def workspace_progress(ctx: CommandContext) -> views.Message:
    store, progression = ctx.services.store, ctx.services.progression
    counts = store.checkoff_counts(ctx.team_id)
    rows = []
    for subscription in store.subscriptions(ctx.team_id):
        moves = role_moves(progression, subscription.role, subscription.phases or None)
        phases: dict[int, list[int]] = {}
        for move in moves:
            checked = (subscription.channel_id, move.ref) in counts
            phases.setdefault(move.phase.number, [0, 0])[0] += int(checked)
            phases[move.phase.number][1] += 1
        total = sum(n for (channel, _), n in counts.items() if channel == subscription.channel_id)
        rows.append(
            ChannelProgress(
                subscription.channel_id,
                subscription.role,
                subscription.active,
                tuple((p, done, of) for p, (done, of) in phases.items()),
                total,
            )
        )
    return views.workspace_progress_message(progression, rows)


# --- App Home -----------------------------------------------------------------------------


def home_channels(store: Store, team_id: str, member_of: Collection[str]) -> list[str]:
    """The workspace's active role channels that the person is a member of."""
    return [
        s.channel_id for s in store.subscriptions(team_id) if s.active and s.channel_id in member_of
    ]


def latest_nudge(store: Store, team_id: str, channel_id: str) -> Delivery | None:
    posted = [
        d
        for d in store.deliveries(team_id, channel_id)
        if d.ts and not d.is_celebration and d.state != "sending"
    ]
    return posted[-1] if posted else None


def home_view(
    store: Store,
    progression: Progression,
    team_id: str,
    user_id: str,
    now: datetime,
    default_timezone: str,
    member_of: Collection[str],
) -> dict[str, object]:
    """The App Home tab for one person, with the role channels they are a member of."""
    mine = store.user_checkoffs(team_id, user_id)
    done_here = {(c.channel_id, c.ref): c.by_home for c in mine}
    this_week = week_of(now, workspace_slot(store, team_id, default_timezone).timezone)
    moves: list[HomeMove] = []
    for channel_id in home_channels(store, team_id, member_of):
        delivery = latest_nudge(store, team_id, channel_id)
        move = find_ref(progression, delivery.ref) if delivery else None
        if delivery is None or delivery.ts is None or move is None:
            continue
        moves.append(
            HomeMove(
                channel_id=channel_id,
                role=delivery.role,
                move=move,
                ts=delivery.ts,
                week=delivery.week,
                this_week=delivery.week == this_week,
                done_by_me=(channel_id, delivery.ref) in done_here,
                done=store.checkoff_count(team_id, channel_id, delivery.ref),
                by_reaction=done_here.get((channel_id, delivery.ref)) is False,
            )
        )
        if len(moves) >= HOME_MAX_MOVES:
            break
    # Not by whether it is done: Mark done would move the card away from under the pointer.
    moves.sort(key=lambda m: (not m.this_week, m.channel_id))
    personal = home_personal_blocks(progression, {c.ref for c in mine}, moves)
    return views.home_view(progression, personal)


def mark_from_home(
    store: Store,
    team_id: str,
    user_id: str,
    value: str,
    done: bool,
    now: datetime,
    member_of: Collection[str],
) -> Delivery | None:
    """A "Mark done" / "Undo" button (value `channel|ts`): the same completion a reaction
    records, in a role channel the person is a member of (a button's value can be forged).
    Returns the nudge whose count changed, or None."""
    channel_id, _, ts = value.partition("|")
    if channel_id not in member_of:
        subscription = store.subscription(team_id, channel_id)
        reason = "not a member" if subscription and subscription.active else "not a role channel"
        logger.warning("Refused a Home button of %s for %r: %s", user_id, channel_id, reason)
        return None
    delivery = store.delivery_by_ts(team_id, channel_id, ts)
    if delivery is None or delivery.is_celebration:
        return None
    if done:
        changed = store.record_checkoff(team_id, channel_id, delivery.ref, user_id, now, ts)
    else:
        changed = store.remove_checkoff(team_id, channel_id, delivery.ref, user_id, now, ts)
    if changed:
        count_checkoff("checked" if done else "unchecked")
    return delivery if changed else None
