"""Campuses: a role channel's campus (shown to anyone, renamed by a manager), every campus with
its channels, a campus's progress for anyone in its channels, and the campuses a leader sees
on App Home. A channel without a campus counts in "District", as the digest counts it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot import views
from bot.grammar import Campus, Campuses, CommandError
from bot.handlers.registry import CommandContext, handles
from bot.views import campuses as campus_views
from progression.calendar import week_of
from progression.campus import DISTRICT
from progression.digest import Digest
from scheduler.digest import LEADER, build_digests
from scheduler.plan import workspace_slot
from store import Store, Subscription

NOT_A_ROLE_CHANNEL = "This channel is not a role channel, so it belongs to no campus."


def campus_of(subscription: Subscription) -> str:
    return subscription.campus or DISTRICT


def _role_channel(ctx: CommandContext, hint: str) -> Subscription:
    subscription = ctx.services.store.subscription(ctx.team_id, ctx.channel_id)
    if subscription is None:
        raise CommandError(NOT_A_ROLE_CHANNEL, hint)
    return subscription


def _others_in(subscriptions: Sequence[Subscription], campus: str, channel_id: str) -> list[str]:
    return [
        s.channel_id
        for s in subscriptions
        if campus_of(s) == campus and s.channel_id != channel_id and s.active
    ]


@handles(Campus)
def on_campus(request: Campus, ctx: CommandContext) -> views.Message:
    store = ctx.services.store
    hint = (
        "A manager makes it one with `/progression subscribe teacher` (it proposes the campus "
        "from the channel's name); `/progression campuses` lists every campus."
    )
    subscription = _role_channel(ctx, hint)
    current = campus_of(subscription)
    if request.name is None:
        others = _others_in(store.subscriptions(ctx.team_id), current, ctx.channel_id)
        return campus_views.campus_message(ctx.channel_id, current, others)
    if store.set_campus(ctx.team_id, ctx.channel_id, request.name) is None:
        raise CommandError(NOT_A_ROLE_CHANNEL, hint)  # unsubscribed a moment ago
    still_old = _others_in(store.subscriptions(ctx.team_id), current, ctx.channel_id)
    return campus_views.campus_renamed_message(ctx.channel_id, current, request.name, still_old)


@handles(Campuses)
def on_campuses(request: Campuses, ctx: CommandContext) -> views.Message:
    roles = [role.key for role in ctx.services.progression.roles]
    by_campus: dict[str, list[Subscription]] = {}
    # In each campus, its channels in the progression's order of roles (leaders, teachers...).
    for subscription in sorted(
        ctx.services.store.subscriptions(ctx.team_id),
        key=lambda s: (roles.index(s.role) if s.role in roles else len(roles), s.channel_id),
    ):
        by_campus.setdefault(campus_of(subscription), []).append(subscription)
    # Named campuses by name, the district's own channels last.
    ordered = sorted(by_campus.items(), key=lambda item: (item[0] == DISTRICT, item[0].casefold()))
    return campus_views.campuses_message(ctx.services.progression, ordered)


def campus_progress(ctx: CommandContext) -> views.Message:
    """`progress campus`: for anyone in one of the campus's role channels."""
    subscription = _role_channel(
        ctx,
        "Ask in one of your campus's role channels (its teachers' or leaders' channel); "
        "`/progression campuses` lists them.",
    )
    timezone = ctx.services.settings.progression_tz
    [digest] = campus_digests(
        ctx.services.store, ctx.team_id, ctx.now, timezone, [campus_of(subscription)]
    )
    return campus_views.campus_progress_message(ctx.services.progression, digest)


def campus_digests(
    store: Store, team_id: str, now: datetime, default_timezone: str, scopes: Sequence[str]
) -> list[Digest]:
    """This week's standing of each of `scopes` (campuses, or DISTRICT for all of them), read
    as the digest reads it."""
    slot = workspace_slot(store, team_id, default_timezone)
    week = week_of(now, slot.timezone)
    digests = build_digests(store, team_id, week, slot, store.breaks(team_id), set(scopes))
    return [digests[scope] for scope in scopes]


def home_campuses(
    store: Store,
    team_id: str,
    now: datetime,
    default_timezone: str,
    member_of: Collection[str],
    manager: bool,
) -> list[Digest]:
    """What a person leads, for App Home: the district for a manager; for a campus leader (in
    a campus's leader role channel) that campus; nothing for anyone else."""
    subscriptions = store.subscriptions(team_id)
    if manager:
        scopes = [DISTRICT] if subscriptions else []
    else:
        led = {
            campus_of(s)
            for s in subscriptions
            if s.active and s.role == LEADER and s.channel_id in member_of
        }
        scopes = sorted(led, key=lambda campus: (campus == DISTRICT, campus.casefold()))
    if not scopes:
        return []
    return campus_digests(store, team_id, now, default_timezone, scopes)
