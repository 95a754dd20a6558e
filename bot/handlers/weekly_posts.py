"""The weekly posts besides the nudges: when the leaders' digest goes out (`digest`), and a role
channel's reminder (`remind`). Anyone may ask when; only a manager changes it (checked by the
listener). A change re-arms the runner's jobs through the store, in the same transaction."""

from __future__ import annotations

from datetime import datetime

from bot import views
from bot.grammar import CommandError, DigestSetting, Remind
from bot.handlers.registry import CommandContext, handles
from bot.views import managing
from progression.calendar import CalendarError, WeeklySlot, next_slot
from scheduler.digest import DEFAULT_DIGEST_AT, DEFAULT_DIGEST_WEEKDAY, audiences, digest_slot
from scheduler.plan import workspace_slot

REMIND_USAGE = "Try `/progression remind thursday`, or `/progression remind off`."


@handles(DigestSetting)
def on_digest(request: DigestSetting, ctx: CommandContext) -> views.Message:
    store, timezone = ctx.services.store, ctx.services.settings.progression_tz
    changed = request.off or request.weekday is not None
    if request.off:
        # The weekday and time are kept (off twice too), for when it is turned on again.
        own = store.digest_schedule(ctx.team_id)
        weekday = own.weekday if own else DEFAULT_DIGEST_WEEKDAY
        at = own.at if own else f"{DEFAULT_DIGEST_AT:%H:%M}"
        store.set_digest_schedule(ctx.team_id, weekday, at, False, ctx.now)
    elif request.weekday is not None and request.at is not None:
        at_text = f"{request.at:%H:%M}"
        store.set_digest_schedule(ctx.team_id, request.weekday, at_text, True, ctx.now)
    slot = digest_slot(store, ctx.team_id, timezone)
    next_at = _next_digest(ctx, slot) if slot is not None else None
    readers = len(audiences(store.subscriptions(ctx.team_id)))
    return managing.digest_schedule_message(slot, next_at, changed, readers)


def _next_digest(ctx: CommandContext, slot: WeeklySlot) -> datetime | None:
    """The next digest's moment, breaks respected; None when every week ahead is a break."""
    try:
        return next_slot(ctx.now, slot, ctx.services.store.breaks(ctx.team_id))[1]
    except CalendarError:
        return None


@handles(Remind)
def on_remind(request: Remind, ctx: CommandContext) -> views.Message:
    store = ctx.services.store
    subscription = store.subscription(ctx.team_id, ctx.channel_id)
    if subscription is None:
        raise CommandError(
            "This channel is not a role channel, so it has no weekly nudge to remind of.",
            "Use `remind` in a role channel; `/progression subscriptions` lists them.",
        )
    slot = workspace_slot(store, ctx.team_id, ctx.services.settings.progression_tz)
    if request.weekday is None and not request.off:
        return managing.reminder_setting_message(
            ctx.channel_id, subscription.remind_weekday, slot, changed=False
        )
    if request.weekday is not None:
        _check_after_nudge(request.weekday, slot)
    store.set_reminder(ctx.team_id, ctx.channel_id, request.weekday)
    return managing.reminder_setting_message(ctx.channel_id, request.weekday, slot, changed=True)


def _check_after_nudge(weekday: int, slot: WeeklySlot) -> None:
    """A reminder is of the week's nudge, so it comes on a later day of the week."""
    if weekday > slot.weekday:
        return
    nudge_day = managing.WEEKDAY_NAMES[slot.weekday]
    later = managing.WEEKDAY_NAMES[slot.weekday + 1 :]
    choice = f"choose a later day, such as {later[min(2, len(later) - 1)]}" if later else ""
    raise CommandError(
        f"A reminder comes after the week's nudge, and nudges go out on {nudge_day}s"
        + (f": {choice}." if choice else ", the last day of the week."),
        REMIND_USAGE,
    )
