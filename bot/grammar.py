"""The `/progression` grammar: a pure function from what was typed to a typed request.

Forgiving where staff would be (`p3`, `phase three`, `Teachers`, `3.8`, `phase 3 action 8`);
anything it cannot read becomes a `CommandError` that says what was not understood and the
closest thing that works. Messages are mrkdwn; user input in them is escaped.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.views.mrkdwn import echo, unescape
from progression.campus import CampusNameError, campus_name
from progression.lookup import find_role
from progression.model import Progression, Role

# --- requests -------------------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class PhaseLookup:
    phase: int
    role: str | None = None


@dataclass(frozen=True)
class ActionLookup:
    phase: int
    action: int


@dataclass(frozen=True)
class RoleLookup:
    role: str


@dataclass(frozen=True)
class Search:
    query: str


@dataclass(frozen=True)
class Next:
    pass


ProgressScope = Literal["channel", "me", "all", "campus"]


@dataclass(frozen=True)
class Progress:
    scope: ProgressScope = "channel"


@dataclass(frozen=True)
class Subscribe:
    role: str
    phases: tuple[int, ...] = ()
    campus: str | None = None  # named outright; None: proposed from the channel's name


@dataclass(frozen=True)
class Unsubscribe:
    pass


@dataclass(frozen=True)
class Subscriptions:
    pass


@dataclass(frozen=True)
class Schedule:
    """Set the workspace's nudge slot; all None shows the current one."""

    weekday: int | None = None  # 0 = Monday, as date.weekday()
    at: time | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Skip:
    start: date
    end: date


@dataclass(frozen=True)
class Skips:
    pass


@dataclass(frozen=True)
class Unskip:
    start: date
    end: date | None = None


@dataclass(frozen=True)
class Preview:
    pass


@dataclass(frozen=True)
class Campus:
    """Name this role channel's campus; None shows it."""

    name: str | None = None


@dataclass(frozen=True)
class Campuses:
    pass


@dataclass(frozen=True)
class DigestSetting:
    """When the leaders' weekly digest goes out (in the workspace's timezone), or `off`; all
    None and not off shows when the next one goes out."""

    weekday: int | None = None  # 0 = Monday, as date.weekday()
    at: time | None = None
    off: bool = False


@dataclass(frozen=True)
class Remind:
    """This role channel's reminder weekday, or `off`; None and not off shows it."""

    weekday: int | None = None
    off: bool = False


Request = (
    Help
    | PhaseLookup
    | ActionLookup
    | RoleLookup
    | Search
    | Next
    | Progress
    | Subscribe
    | Unsubscribe
    | Subscriptions
    | Schedule
    | Skip
    | Skips
    | Unskip
    | Preview
    | Campus
    | Campuses
    | DigestSetting
    | Remind
)
# SPEC §3: these are managers' rows (`progress all` is checked apart, by its scope; `campus`,
# `digest` and `remind` only when they change something).
MANAGER_REQUESTS = (Subscribe, Unsubscribe, Subscriptions, Schedule, Skip, Skips, Unskip, Preview)


def changes_something(request: Request) -> bool:
    """A request that changes what is stored (the rest only answer): sent again, it must not
    act twice."""
    match request:
        case Schedule(weekday=weekday, at=at) | DigestSetting(weekday=weekday, at=at, off=False):
            return weekday is not None and at is not None
        case DigestSetting() | Remind(off=True):
            return True
        case Remind(weekday=weekday):
            return weekday is not None
        case Campus(name=name):
            return name is not None
    return isinstance(request, Subscribe | Unsubscribe | Skip | Unskip)


def for_managers(request: Request) -> bool:
    """Only a manager may ask this: the managers' rows, `progress all`, and a change of a
    channel's campus, the digest's time or a channel's reminders."""
    if isinstance(request, Campus | DigestSetting | Remind):
        return changes_something(request)
    return isinstance(request, MANAGER_REQUESTS) or request == Progress("all")


@dataclass(frozen=True)
class Command:
    request: Request
    share: bool = False


class CommandError(ValueError):
    """Input that cannot be read: `message` says what, `hint` the closest thing that works."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# --- words ----------------------------------------------------------------------------

NUMBER_WORDS = {
    word: n
    for n, words in enumerate(
        [
            ("zero",),
            ("one", "first", "i"),
            ("two", "second", "ii"),
            ("three", "third", "iii"),
            ("four", "fourth", "iv"),
            ("five", "fifth", "v"),
            ("six", "sixth", "vi"),
            ("seven", "seventh", "vii"),
            ("eight", "eighth", "viii"),
            ("nine", "ninth", "ix"),
            ("ten", "tenth", "x"),
            ("eleven", "eleventh", "xi"),
            ("twelve", "twelfth", "xii"),
        ]
    )
    for word in words
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KEYWORDS = (
    "help",
    "phase",
    "action",
    "role",
    "search",
    "next",
    "progress",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "schedule",
    "skip",
    "skips",
    "unskip",
    "preview",
    "campus",
    "campuses",
    "digest",
    "remind",
    "share",
)
EXAMPLE = "`/progression phase 3`, `/progression 3.8`, `/progression search rostering`"

# Bounded digit counts: a 5,000-digit "phase" is not a number anyone meant.
_MOVE_REF = re.compile(r"^(?:p|phase)?(-?\d{1,6})[.:](-?\d{1,6})$")
_PHASE_REF = re.compile(r"^(?:p|phase)(-?\d{1,6})$")
_NUMBER = re.compile(r"^-?\d{1,6}$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


def parse_command(text: str, progression: Progression) -> Command:
    """Read `/progression` text; raises CommandError for anything it cannot read."""
    words = _words(text)
    share = "share" in words
    words = [w for w in words if w != "share"]
    return Command(_request(words, text, progression), share=share)


def _words(text: str) -> list[str]:
    # Commas and semicolons separate like spaces ("phase 3, action 8", "phase 2,3").
    return re.sub(r"[,;]+", " ", text.casefold()).split()


def _request(words: list[str], text: str, progression: Progression) -> Request:
    if not words or words[0] in ("help", "?", "-h", "--help", "h"):
        return Help()
    head, rest = words[0], words[1:]
    simple: dict[str, Request] = {
        "next": Next(),
        "unsubscribe": Unsubscribe(),
        "subscriptions": Subscriptions(),
        "skips": Skips(),
        "preview": Preview(),
    }
    if head in simple:
        _no_more(head, rest)
        return simple[head]
    if head in ("search", "find"):
        return _search(text)
    if head == "progress":
        return _progress(rest)
    if head == "subscribe":
        return _subscribe(rest, text, progression)
    if head == "schedule":
        return _schedule(rest)
    if head == "campus":
        usage = "Try `/progression campus Lincoln Elementary` in the campus's channel."
        return Campus(_campus_after(text, "campus", usage) if rest else None)
    if head == "campuses":
        _no_more(head, rest)
        return Campuses()
    if head == "digest":
        return _digest(rest)
    if head == "remind":
        return _remind(rest)
    if head == "skip":
        start, end = _date_range(rest, "skip")
        return Skip(start, end or start)
    if head == "unskip":
        start, end = _date_range(rest, "unskip")
        return Unskip(start, end)
    if head == "role":
        return RoleLookup(_role(" ".join(rest), progression).key)
    return _lookup(words, progression)


def _no_more(head: str, rest: list[str]) -> None:
    if rest:
        raise CommandError(
            f"`{head}` takes nothing after it, but got `{echo(' '.join(rest))}`.",
            f"Try `/progression {head}`.",
        )


def _search(text: str) -> Search:
    query = re.sub(r"^\s*(search|find)\b", "", text, flags=re.IGNORECASE)
    query = re.sub(r"\bshare\b", "", query, flags=re.IGNORECASE).strip()
    if not query:
        raise CommandError("What should I search for?", "Try `/progression search rostering`.")
    return Search(query)


def _progress(rest: list[str]) -> Progress:
    scopes: dict[str, ProgressScope] = {
        "": "channel",
        "me": "me",
        "mine": "me",
        "my": "me",
        "all": "all",
        "campus": "campus",
        "school": "campus",
    }
    key = " ".join(rest)
    if key not in scopes:
        raise CommandError(
            f"`progress` can be followed by `me`, `campus` or `all`, not `{echo(key)}`.",
            "Try `/progression progress`, `/progression progress me`, "
            "`/progression progress campus` or `/progression progress all`.",
        )
    return Progress(scopes[key])


def _subscribe(rest: list[str], text: str, progression: Progression) -> Subscribe:
    if not rest:
        roles = ", ".join(r.key for r in progression.roles)
        raise CommandError(
            "Which role should this channel get moves for?",
            f"Try `/progression subscribe {progression.roles[0].key}` (roles: {roles}).",
        )
    campus = None
    if "campus" in rest:
        # Everything after the word is the campus's name, as it was typed.
        usage = f"Try `/progression subscribe {echo(rest[0], 20)} campus Lincoln Elementary`."
        campus = _campus_after(text, "campus", usage)
        rest = rest[: rest.index("campus")]
    split = next((i for i, w in enumerate(rest) if _is_phase_word(w)), len(rest))
    role = _role(" ".join(rest[:split]), progression)
    numbers = [_phase_number(w, progression) for w in _phase_list_words(rest[split:])]
    for number in numbers:
        _check_phase(number, progression)
    return Subscribe(role.key, tuple(sorted(set(numbers))), campus)


def _campus_after(text: str, word: str, usage: str) -> str:
    """The campus name typed after `word` (its case kept; Slack's `&amp;` read back as `&`),
    checked: a `CommandError` that says what is wrong with it."""
    typed = re.split(rf"\b{word}\b", text, maxsplit=1, flags=re.IGNORECASE)[-1]
    try:
        return campus_name(unescape(typed))
    except CampusNameError as error:
        raise CommandError(str(error), usage) from None


def _is_phase_word(word: str) -> bool:
    return word in ("phase", "phases") or bool(_PHASE_REF.match(word)) or word[0].isdigit()


def _phase_list_words(words: list[str]) -> list[str]:
    joined = " ".join(w for w in words if w not in ("phase", "phases", "and", "&"))
    return [w for w in re.split(r"[\s+]+", joined) if w]


def _lookup(words: list[str], progression: Progression) -> Request:
    phase: int | None = None
    action: int | None = None
    role_words: list[str] = []
    i = 0
    while i < len(words):
        word, following = words[i], words[i + 1] if i + 1 < len(words) else None
        if match := _MOVE_REF.match(word):
            phase, action = int(match[1]), int(match[2])
        elif match := _PHASE_REF.match(word):
            phase = int(match[1])
        elif word in ("phase", "p") and following is not None:
            phase = _phase_number(following, progression)
            i += 1
        elif word in ("action", "a", "move") and following is not None:
            action = _action_number(following)
            i += 1
        elif word in ("phase", "p", "action", "a", "move"):
            kind = "phase" if word in ("phase", "p") else "action"
            raise CommandError(
                f"Which {kind}? A number should follow `{word}`.",
                "Try `/progression phase 3` or `/progression phase 3 action 8`.",
            )
        elif _NUMBER.match(word) and phase is None:
            phase = int(word)
        elif _NUMBER.match(word) and action is None:
            action = int(word)
        else:
            role_words.append(word)
        i += 1
    if phase is None and action is not None:
        raise CommandError(
            f"Action {action} of which phase?", f"Try `/progression phase 1 action {action}`."
        )
    if phase is not None:
        _check_phase(phase, progression)
    role = _role(" ".join(role_words), progression) if role_words else None
    if phase is not None and action is not None:
        _check_action(phase, action, progression)
        return ActionLookup(phase, action)
    if phase is not None:
        return PhaseLookup(phase, role.key if role else None)
    assert role is not None
    return RoleLookup(role.key)


def _phase_number(word: str, progression: Progression) -> int:
    word = word.removeprefix("phase").removeprefix("p") if not _NUMBER.match(word) else word
    if _NUMBER.match(word):
        return int(word)
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    raise CommandError(
        f"`{echo(word)}` is not a phase number.",
        f"Phases are {_phase_range(progression)}: try `/progression phase 1`.",
    )


def _action_number(word: str) -> int:
    if _NUMBER.match(word):
        return int(word)
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    raise CommandError(f"`{echo(word)}` is not an action number.", "Try `/progression 3.8`.")


def _check_phase(number: int, progression: Progression) -> None:
    if progression.phase(number) is None:
        raise CommandError(
            f"Phase {number} does not exist: phases are {_phase_range(progression)}.",
            f"Try `/progression phase {progression.phases[0].number}`.",
        )


def _check_action(phase_number: int, action: int, progression: Progression) -> None:
    phase = progression.phase(phase_number)
    assert phase is not None
    if phase.action(action) is None:
        numbers = [a.number for a in phase.actions]
        raise CommandError(
            f"Phase {phase_number} has no action {action}: its actions are "
            f"{_number_range(numbers)}.",
            f"Try `/progression {phase_number}.{numbers[0]}`.",
        )


def _phase_range(progression: Progression) -> str:
    return _number_range([p.number for p in progression.phases])


def _number_range(numbers: list[int]) -> str:
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(str(n) for n in numbers)


def _role(words: str, progression: Progression) -> Role:
    role = find_role(progression, words)
    if role is not None:
        return role
    keys = [r.key for r in progression.roles]
    names = [w for r in progression.roles for w in (r.key, *r.aliases)]
    close = difflib.get_close_matches(words, names + list(KEYWORDS), n=1, cutoff=0.7)
    if close and close[0] in KEYWORDS:
        hint = f"Did you mean `/progression {close[0]}`? Or try `/progression help`."
    elif close:
        role = find_role(progression, close[0])
        hint = f"Did you mean `{role.key if role else close[0]}`? Roles are {', '.join(keys)}."
    else:
        hint = (
            f"Roles are {', '.join(keys)}. To look for words, try "
            f"`/progression search {echo(words, 40)}`; for everything, `/progression help`."
        )
    raise CommandError(f"I don't know `{echo(words)}`.", hint)


def _schedule(rest: list[str]) -> Schedule:
    if not rest:
        return Schedule()
    usage = "Try `/progression schedule monday 07:30 America/Chicago`."
    weekday = _weekday(rest[0], usage)
    if len(rest) < 2:
        raise CommandError("At what time? The schedule needs a weekday and a time.", usage)
    # "7:30 am" arrives as two words.
    time_words = rest[1:3] if len(rest) > 2 and rest[2] in ("am", "pm") else rest[1:2]
    at = _time(" ".join(time_words), usage)
    remaining = rest[1 + len(time_words) :]
    if len(remaining) > 1:
        raise CommandError(f"I don't know `{echo(' '.join(remaining))}`.", usage)
    timezone = _timezone(remaining[0], usage) if remaining else None
    return Schedule(weekday, at, timezone)


def _digest(rest: list[str]) -> DigestSetting:
    if not rest:
        return DigestSetting()
    usage = "Try `/progression digest friday 14:00`, or `/progression digest off`."
    if rest == ["off"]:
        return DigestSetting(off=True)
    weekday = _weekday(rest[0], usage)
    if len(rest) < 2:
        raise CommandError("At what time? The digest needs a weekday and a time.", usage)
    time_words = rest[1:3] if len(rest) > 2 and rest[2] in ("am", "pm") else rest[1:2]
    at = _time(" ".join(time_words), usage)
    remaining = rest[1 + len(time_words) :]
    if remaining:
        raise CommandError(
            f"I don't know `{echo(' '.join(remaining))}`: the digest goes out in the "
            "workspace's timezone, which `/progression schedule` sets.",
            usage,
        )
    return DigestSetting(weekday, at)


def _remind(rest: list[str]) -> Remind:
    if not rest:
        return Remind()
    usage = "Try `/progression remind thursday`, or `/progression remind off`."
    if rest == ["off"]:
        return Remind(off=True)
    weekday = _weekday(rest[0], usage)
    if len(rest) > 1:
        raise CommandError(
            f"I don't know `{echo(' '.join(rest[1:]))}`: a reminder goes out at the time the "
            "nudges do, so it takes only a weekday.",
            usage,
        )
    return Remind(weekday)


def _weekday(word: str, usage: str) -> int:
    word = word.rstrip(".")
    matches = [i for i, day in enumerate(WEEKDAYS) if len(word) >= 2 and day.startswith(word)]
    if word in ("tues", "weds", "thur", "thurs"):
        matches = [WEEKDAYS.index({"tues": "tuesday", "weds": "wednesday"}.get(word, "thursday"))]
    if len(matches) != 1:
        raise CommandError(f"`{echo(word)}` is not a day of the week.", usage)
    return matches[0]


def _time(word: str, usage: str) -> time:
    match = _TIME.match(word.replace(" ", ""))
    if not match:
        raise CommandError(f"`{echo(word)}` is not a time like 07:30.", usage)
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3]:
        if not 1 <= hour <= 12:
            raise CommandError(f"`{echo(word)}` is not a time like 7:30am.", usage)
        hour = hour % 12 + (12 if match[3].startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise CommandError(f"`{echo(word)}` is not a time of day (00:00 to 23:59).", usage)
    return time(hour, minute)


def _timezone(word: str, usage: str) -> str:
    name = _timezone_names().get(word.casefold())
    if name is None:
        raise CommandError(
            f"`{echo(word)}` is not a timezone I know.",
            f"Use an IANA name like America/Chicago or Europe/London. {usage}",
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"`{echo(word)}` is not a timezone I know.", usage) from None
    return name


@cache
def _timezone_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()} | {"utc": "UTC"}


def _date_range(words: list[str], verb: str) -> tuple[date, date | None]:
    usage = f"Try `/progression {verb} 2026-12-21 2027-01-01` (first and last day of the break)."
    words = [w for w in words if w not in ("to", "-", "until", "through", "..")]
    if not words or len(words) > 2:
        raise CommandError(f"`{verb}` needs a first day and a last day.", usage)
    start = _date(words[0], usage)
    end = _date(words[1], usage) if len(words) > 1 else None
    if end is not None and end < start:
        raise CommandError(
            f"The break ends ({end.isoformat()}) before it starts ({start.isoformat()}).", usage
        )
    return start, end


def _date(word: str, usage: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise CommandError(f"`{echo(word)}` is not a date like 2026-12-21.", usage) from None
