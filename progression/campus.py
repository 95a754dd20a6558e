"""Campuses: a role channel belongs to one, proposed from the channel's name or named by a
manager; "District" when there is none."""

from __future__ import annotations

import re
import unicodedata

from progression.lookup import find_role
from progression.model import Progression

DISTRICT = "District"
MAX_CAMPUS_LENGTH = 80
_WORD_BREAKS = re.compile(r"[-_.\s]+")
# Slack reads these as markup or control sequences: a campus name is shown as it was typed.
_MARKUP = set("<>`*~|")


class CampusNameError(ValueError):
    """A campus name that cannot be used; the message says why."""


def propose_campus(channel_name: str, progression: Progression) -> str:
    """The words before the channel name's role word, as a campus: `lincoln-teachers` is
    "Lincoln", `washington-elementary-leaders` "Washington Elementary"; "District" when the name
    has no role word or nothing before it (`district-planning`, `teachers`)."""
    words = [w for w in _WORD_BREAKS.split(channel_name.strip().lstrip("#")) if w]
    for index, word in enumerate(words):
        if find_role(progression, word) is not None:
            before = words[:index]
            break
    else:
        return DISTRICT
    name = " ".join(word[:1].upper() + word[1:] for word in before)
    if not name or name.casefold() == DISTRICT.casefold():
        return DISTRICT
    return name[:MAX_CAMPUS_LENGTH].rstrip()


def campus_name(text: str) -> str:
    """A campus name as a manager typed it, spaces tidied; `CampusNameError` when it is empty,
    longer than 80 characters, or markup rather than a name."""
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name:
        raise CampusNameError("A campus needs a name, such as `Lincoln Elementary`.")
    if len(name) > MAX_CAMPUS_LENGTH:
        raise CampusNameError(
            f"A campus name is at most {MAX_CAMPUS_LENGTH} characters; that one has {len(name)}."
        )
    if _MARKUP & set(name) or not any(c.isalnum() for c in name):
        raise CampusNameError(
            "A campus name is plain words, such as `Lincoln Elementary`: no formatting, "
            "mentions or links."
        )
    return name
