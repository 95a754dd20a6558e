"""Progress: `/progression progress [me|all|campus]`, the App Home, and check-offs from a
button.

Reactions are recorded by the event listener (bot/listeners/events.py); this module reads what
they recorded and shapes it for the views.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime

from bot import views
from bot.grammar import CommandError, Progress
from bot.handlers import campuses
from bot.handlers.registry import CommandContext, handles
from bot.slack.membership import member_role_channels, remembered_role_channels
from bot.views import ChannelProgress, HomeMove, MyProgress, PostedMove
from bot.views.campuses import home_campus_blocks
from bot.views.progress import home_personal_blocks
from progression.calendar import week_of
from progression.lookup import find_ref, role_moves
from progression.model import Move, Progression
from progression.next_move import Celebration, Nudge
from scheduler.plan import next_channel_nudge, plan_for, workspace_slot
from store import CELEBRATION, Delivery, Store, Subscription
from store.checkoffs import Checkoff

logger = logging.getLogger(__name__)

HOME_MAX_MOVES = 15


@handles(Progress)
def on_progress(request: Progress, ctx: CommandContext) -> views.Message:
    if request.scope == "me":
        return my_progress(ctx)
    if request.scope == "all":
        return workspace_progress(ctx)
    if request.scope == "campus":
        return campuses.campus_progress(ctx)
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
    """Against the moves of the person's role channels: which those are is kept from Slack's
    last answer, asked again after the ack (`progress me` is routed there when it is not
    known); in the response itself, the channels they checked off in stand in."""
    store = ctx.services.store
    member_of = remembered_role_channels(store, ctx.team_id, ctx.user_id, ctx.now)
    if member_of is None and ctx.may_ask_slack:
        member_of = member_role_channels(store, ctx.client, ctx.team_id, ctx.user_id, ctx.now)
    if member_of is None:
        member_of = frozenset(store.user_channels(ctx.team_id, ctx.user_id))
    checkoffs = store.user_checkoffs(ctx.team_id, ctx.user_id)
    mine = own_progress(store, ctx.services.progression, ctx.team_id, checkoffs, member_of)
    return views.my_progress_message(ctx.services.progression, mine)


def phase_counts(
    moves: Sequence[Move], checked: Collection[str]
) -> tuple[tuple[int, int, int], ...]:
    """Per phase of `moves` (a channel's, of its role and phases), those checked off and all."""
    phases: dict[int, list[int]] = {}
    for move in moves:
        counts = phases.setdefault(move.phase.number, [0, 0])
        counts[0] += int(move.ref in checked)
        counts[1] += 1
    return tuple((phase, done, of) for phase, (done, of) in phases.items())


def channel_moves(progression: Progression, subscription: Subscription) -> list[Move]:
    return role_moves(progression, subscription.role, subscription.phases or None)


def own_progress(
    store: Store,
    progression: Progression,
    team_id: str,
    checkoffs: Sequence[Checkoff],
    member_of: Collection[str],
) -> MyProgress:
    """A person's check-offs counted against the moves of their role channels' roles, kept
    whatever round a channel is in (a check-off is never taken back by a new round)."""
    done_in: dict[str, set[str]] = {}
    for checkoff in checkoffs:
        done_in.setdefault(checkoff.channel_id, set()).add(checkoff.ref)
    channels = []
    moves: set[str] = set()
    done: set[str] = set()
    for subscription in store.subscriptions(team_id):
        if not subscription.active or subscription.channel_id not in member_of:
            continue
        own = channel_moves(progression, subscription)
        refs = {move.ref for move in own}
        mine = refs & done_in.get(subscription.channel_id, set())
        moves |= refs
        done |= mine
        phases = phase_counts(own, mine)
        channels.append(
            ChannelProgress(subscription.channel_id, subscription.role, True, phases, len(mine))
        )
    theirs = {channel.channel_id for channel in channels}
    elsewhere = tuple(channel for channel in done_in if channel not in theirs)
    return MyProgress(tuple(channels), len(done), len(moves), elsewhere)


def workspace_progress(ctx: CommandContext) -> views.Message:
    store, progression = ctx.services.store, ctx.services.progression
    counts = store.checkoff_counts(ctx.team_id)
    rows = []
    for subscription in store.subscriptions(ctx.team_id):
        channel = subscription.channel_id
        here = {ref: n for (c, ref), n in counts.items() if c == channel}
        phases = phase_counts(channel_moves(progression, subscription), here)
        total = sum(here.values())
        rows.append(ChannelProgress(channel, subscription.role, subscription.active, phases, total))
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
    manager: bool = False,
) -> dict[str, object]:
    """The App Home tab for one person, with the role channels they are a member of: for a
    manager the district's campuses first, for a campus leader their campus."""
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
    own = own_progress(store, progression, team_id, mine, member_of)
    leading = campuses.home_campuses(store, team_id, now, default_timezone, member_of, manager)
    return views.home_view(
        progression,
        [
            *home_campus_blocks(progression, leading),
            *home_personal_blocks(progression, own, moves),
        ],
    )


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
    return delivery if changed else None
