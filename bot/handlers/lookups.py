"""Lookups: help, a phase, an action, a role, a search. No Slack call; the database only for
who has checked an action off in the channel."""

from __future__ import annotations

from collections.abc import Sequence

from bot import views
from bot.grammar import ActionLookup, Help, PhaseLookup, Request, RoleLookup, Search
from bot.handlers.registry import CommandContext, handles
from progression.lookup import ProgressionCache, find_move
from progression.model import Progression
from progression.search import search, suggestions
from store import Store

LOOKUPS = (Help, PhaseLookup, ActionLookup, RoleLookup, Search)
# Lookups are pure, so answers are kept per progression; views never mutate a message.
MAX_CACHED = 512
_answers = ProgressionCache()


def answer_lookup(
    request: Request, progression: Progression, checked_by: Sequence[str] | None = None
) -> views.Message:
    """The reply to a lookup; the grammar has already checked that what it names exists.

    `checked_by`: for an action, who in the channel has checked it off (see `checked_here`).
    """
    match request:
        case Help():
            return views.help_message(progression)
        case PhaseLookup(phase=number, role=role):
            phase = progression.phase(number)
            assert phase is not None
            return views.phase_message(progression, phase, role)
        case ActionLookup(phase=phase, action=action):
            move = find_move(progression, phase, action)
            assert move is not None
            if checked_by is None:
                return views.action_message(progression, move)
            return views.action_message(
                progression, move, checked_by=checked_by, checked_count=len(checked_by)
            )
        case RoleLookup(role=role):
            return views.role_message(progression, role)
        case Search(query=query):
            hits = search(progression, query)
            close = [] if hits else suggestions(progression, query)
            return views.search_message(progression, query, hits, close)
    raise TypeError(f"not a lookup: {request!r}")


def cached_answer(request: Request, progression: Progression) -> views.Message:
    """`answer_lookup`, remembered: the same question gets the same, already built, reply."""
    cache: dict[Request, views.Message] = _answers.get_or_build(progression, lambda _: {})
    answer = cache.get(request)
    if answer is None:
        answer = answer_lookup(request, progression)
        if len(cache) >= MAX_CACHED:
            cache.pop(next(iter(cache)))  # the oldest; searches are the only unbounded kind
        cache[request] = answer
    return answer


def checked_here(request: Request, store: Store, team_id: str, channel_id: str) -> list[str] | None:
    """For `/progression 3.8`: who in this channel has checked it off; None for other lookups."""
    if not isinstance(request, ActionLookup) or not channel_id:
        return None
    return store.checked_by(team_id, channel_id, f"{request.phase}.{request.action}")


@handles(*LOOKUPS)
def on_lookup(request: Request, ctx: CommandContext) -> views.Message:
    checked_by = checked_here(request, ctx.services.store, ctx.team_id, ctx.channel_id)
    if checked_by is not None:  # changes with every check-off: never cached
        return answer_lookup(request, ctx.services.progression, checked_by)
    return cached_answer(request, ctx.services.progression)
