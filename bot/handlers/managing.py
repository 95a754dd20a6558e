"""Managers' commands (subscribe, schedule, breaks, preview, subscriptions) and `next`.

The listener has already checked that the user may manage; these read and change the store,
and tell the running scheduler when a workspace's timing changed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import views
from bot.grammar import (
    CommandError,
    Next,
    Preview,
    Schedule,
    Skip,
    Skips,
    Subscribe,
    Subscriptions,
    Unskip,
    Unsubscribe,
)
from bot.handlers.registry import CommandContext, handles
from bot.slack.channels import channel_name
from bot.views import managing
from progression import wording
from progression.calendar import (
    CalendarError,
    SchoolBreak,
    WeeklySlot,
    check_break,
    slot_in_week,
    week_of,
    week_start,
)
from progression.campus import DISTRICT, propose_campus
from progression.lookup import find_ref, role_moves
from progression.model import Move, Progression
from progression.next_move import Celebration, Nudge
from scheduler.plan import (
    first_week_for_new_subscription,
    next_channel_nudge,
    next_workspace_nudge,
    plan_ahead,
    plan_for,
    workspace_slot,
)
from store import Subscription

# Slack's answers that mean the app cannot post in the channel.
CANNOT_POST = ("not_in_channel", "channel_not_found", "is_archived", "channel_is_archived")


def _slot(ctx: CommandContext) -> WeeklySlot:
    store, settings = ctx.services.store, ctx.services.settings
    return workspace_slot(store, ctx.team_id, settings.progression_tz)


def _next_at(ctx: CommandContext) -> datetime | None:
    """The workspace's next nudge; None when every week ahead is a break (the reply says so)."""
    services = ctx.services
    return next_workspace_nudge(
        services.store, ctx.team_id, services.settings.progression_tz, ctx.now
    )


def _channel_next_at(ctx: CommandContext, subscription: Subscription) -> datetime | None:
    services = ctx.services
    return next_channel_nudge(
        services.store, subscription, services.settings.progression_tz, ctx.now
    )


def _subscription(ctx: CommandContext) -> Subscription:
    subscription = ctx.services.store.subscription(ctx.team_id, ctx.channel_id)
    if subscription is None:
        raise CommandError(
            "This channel is not a role channel, so it has no weekly move.",
            "Ask a manager to make it one (`/progression subscribe teacher`), or look a role's "
            "moves up: `/progression teacher`.",
        )
    return subscription


@handles(Subscribe)
def on_subscribe(request: Subscribe, ctx: CommandContext) -> views.Message:
    services = ctx.services
    if not role_moves(services.progression, request.role, request.phases or None):
        raise CommandError("That role has no actions in those phases.", "Try without phases.")
    try:
        week, first = first_week_for_new_subscription(
            services.store, ctx.team_id, services.settings.progression_tz, ctx.now
        )
    except CalendarError as error:
        raise CommandError(f"This channel cannot start: {error}.", managing.BREAKS_HINT) from None
    announcement = managing.channel_announcement(services.progression, request.role, first)
    try:
        # Also the check that the app can post here: a private channel it is not in says no.
        ctx.client.chat_postMessage(channel=ctx.channel_id, **announcement)
    except SlackApiError as error:
        code = str(error.response.get("error", ""))
        if code not in CANNOT_POST:
            raise
        raise CommandError(managing.cannot_post_message(ctx.channel_id, code)) from None
    campus, proposed = _campus_for(request, ctx)
    subscription = services.store.subscribe(
        ctx.team_id,
        ctx.channel_id,
        request.role,
        request.phases,
        ctx.user_id,
        week,
        ctx.now,
        campus=campus,
    )
    return managing.subscribed_message(
        services.progression, subscription, _slot(ctx), first, proposed=proposed
    )


def _campus_for(request: Subscribe, ctx: CommandContext) -> tuple[str, bool]:
    """The channel's campus: as named, else the one it had (subscribed again), else proposed
    from its name ("District" when the name gives none); and whether it was proposed now."""
    store = ctx.services.store
    # Asked whatever the campus: the channel's people are kept for the counts ("✅ 7 of 12").
    name = channel_name(store, ctx.client, ctx.team_id, ctx.channel_id, ctx.channel_name, ctx.now)
    if request.campus is not None:
        return request.campus, False
    had = store.subscription(ctx.team_id, ctx.channel_id)
    if had is not None and had.campus is not None:
        return had.campus, False
    return (propose_campus(name, ctx.services.progression) if name else DISTRICT), True


@handles(Unsubscribe)
def on_unsubscribe(request: Unsubscribe, ctx: CommandContext) -> views.Message:
    removed = ctx.services.store.unsubscribe(ctx.team_id, ctx.channel_id)
    return managing.unsubscribed_message(ctx.services.progression, removed)


@handles(Subscriptions)
def on_subscriptions(request: Subscriptions, ctx: CommandContext) -> views.Message:
    store, progression = ctx.services.store, ctx.services.progression
    unconfirmed: dict[str, list[str]] = {}
    for delivery in store.unconfirmed(ctx.team_id):
        unconfirmed.setdefault(delivery.channel_id, []).append(delivery.week)
    lines = [
        _line(ctx, subscription, tuple(unconfirmed.get(subscription.channel_id, ())))
        for subscription in store.subscriptions(ctx.team_id)
    ]
    return managing.subscriptions_message(progression, lines, _slot(ctx))


def _line(
    ctx: CommandContext, subscription: Subscription, unconfirmed: tuple[str, ...]
) -> managing.SubscriptionLine:
    store, progression = ctx.services.store, ctx.services.progression
    plan = plan_for(store, progression, subscription) if subscription.active else None
    next_at = None
    if isinstance(plan, Nudge):
        text = managing.move_words(progression, plan.move)
    elif isinstance(plan, Celebration):
        text = ":tada: the celebration: everything is checked off"
    else:
        text = "nothing: every move is checked off"
    if plan is not None:
        next_at = _channel_next_at(ctx, subscription)
    return managing.SubscriptionLine(subscription, text, next_at, unconfirmed)


@handles(Schedule)
def on_schedule(request: Schedule, ctx: CommandContext) -> views.Message:
    store = ctx.services.store
    current = _slot(ctx)
    if request.weekday is None or request.at is None:
        return managing.schedule_message(current, _next_at(ctx), changed=False)
    slot = WeeklySlot(request.weekday, request.at, request.timezone or current.timezone)
    store.set_schedule(ctx.team_id, slot, ctx.now)
    return managing.schedule_message(slot, _next_at(ctx), changed=True)


@handles(Skip)
def on_skip(request: Skip, ctx: CommandContext) -> views.Message:
    school_break = SchoolBreak(request.start, request.end)
    store = ctx.services.store
    try:
        check_break(school_break, ctx.now.astimezone(ZoneInfo(_slot(ctx).timezone)).date())
    except CalendarError as error:
        raise CommandError(str(error), managing.SKIP_USAGE) from None
    new = store.add_break(ctx.team_id, school_break, ctx.user_id, ctx.now)
    effects = _break_effects(school_break, _slot(ctx), store.breaks(ctx.team_id))
    return managing.break_added_message(school_break, effects, _next_at(ctx), new)


def _break_effects(
    school_break: SchoolBreak, slot: WeeklySlot, breaks: list[SchoolBreak]
) -> list[str]:
    """What the break does to each week it touches, in words."""
    effects = []
    week, last = _iso_week(school_break.start), _iso_week(school_break.end)
    while week <= last:
        plain = slot_in_week(week, slot, [])
        moved = slot_in_week(week, slot, breaks)
        if moved is None:
            effects.append(
                f"• No nudge in {wording.week(week)}, and the sequence waits for the next week."
            )
        elif plain is not None and moved.date() != plain.date():
            effects.append(
                f"• {wording.day(plain.date())} is in the break, so the nudge goes out on "
                f"{wording.when(moved)}."
            )
        week = _iso_week(week_start(week) + timedelta(days=7))
    return effects or ["• No nudge day falls in it."]


def _iso_week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@handles(Skips)
def on_skips(request: Skips, ctx: CommandContext) -> views.Message:
    return managing.breaks_message(ctx.services.store.breaks(ctx.team_id))


@handles(Unskip)
def on_unskip(request: Unskip, ctx: CommandContext) -> views.Message:
    removed = ctx.services.store.remove_breaks(ctx.team_id, request.start, request.end)
    return managing.breaks_removed_message(removed, _next_at(ctx))


@handles(Preview)
def on_preview(request: Preview, ctx: CommandContext) -> views.Message:
    subscription = ctx.services.store.subscription(ctx.team_id, ctx.channel_id)
    if subscription is None:
        return managing.not_subscribed_message(ctx.channel_id)
    if not subscription.active:
        reason = subscription.inactive_reason or "unknown"
        raise CommandError(
            f"This channel is inactive ({managing.REASONS.get(reason, reason)}).",
            f"To resume, {managing.INVITE_HINT}.",
        )
    store, progression = ctx.services.store, ctx.services.progression
    plan = plan_for(store, progression, subscription)
    if plan is None:
        return managing.nothing_ahead_message("Nothing ahead: every move is checked off.")
    at = _channel_next_at(ctx, subscription)
    if at is None:
        return managing.nothing_ahead_message(managing.NO_NUDGE_AHEAD)
    return managing.preview_message(render_nudge(progression, subscription, plan), at)


def render_nudge(
    progression: Progression, subscription: Subscription, plan: Nudge | Celebration
) -> views.Message:
    """The nudge as the fan-out posts it."""
    if isinstance(plan, Nudge):
        return views.nudge_message(progression, plan.move)
    moves = role_moves(progression, subscription.role, subscription.phases or None)
    return views.celebration_message(progression, subscription.role, len(moves))


@handles(Next)
def on_next(request: Next, ctx: CommandContext) -> views.Message:
    subscription = _subscription(ctx)
    store, progression = ctx.services.store, ctx.services.progression
    this_week = week_of(ctx.now, _slot(ctx).timezone)
    posted = next(
        (d for d in store.deliveries(ctx.team_id, ctx.channel_id) if d.week == this_week), None
    )
    current = find_ref(progression, posted.ref) if posted else None
    ahead = plan_ahead(store, progression, subscription, count=2 if current is None else 1)
    at = _channel_next_at(ctx, subscription) if ahead else None
    coming: list[tuple[Move | None, datetime | None]] = [
        (item.move if isinstance(item, Nudge) else None, at if i == 0 else None)
        for i, item in enumerate(ahead)
    ]
    return managing.next_message(progression, current, coming)
