"""Ranked search over titles, aliases, actions and next moves."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from progression.lookup import ProgressionCache
from progression.model import Move, Phase, Progression

# A pasted essay must not cost more than a sentence: only the first distinct words count.
MAX_QUERY_WORDS = 24
_MAX_SUGGESTION_WORDS = 6

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2019]")
_DOUBLED_END = re.compile(r"([b-df-hj-np-tv-z])\1$")

STOP_WORDS = frozenset(
    """a about all also an and any are as at be been but by can do for from has have how i if in
    into is it its me my no not of on or our so such than that the their them then there these
    they this those to too up us was we were what when where which while who why will with you
    your""".split()
)

# Ranking: every query word matched, then the words as a phrase, then which field matched.
_ALL_WORDS_BONUS = 10.0
_PHRASE_BONUS = 5.0
_FIELD_WEIGHTS = {"title": 3.0, "alias": 2.5, "text": 2.0, "next_move": 1.5, "role": 1.0}
_EXTRA_FIELD_BONUS = 0.25  # the same move matching in its text and its next move


@dataclass(frozen=True)
class SearchHit:
    """One match: a whole phase (its title or alias matched) or one move."""

    score: float
    phase: Phase
    move: Move | None = None
    matched: str = ""  # which field matched best: "title", "alias", "text", "next_move", "role"


def stem(word: str) -> str:
    """A crude suffix stripper: `rostering` -> `roster`, `tools` -> `tool`, `planned` -> `plan`."""
    if len(word) > 5 and word.endswith("ing"):
        return _undouble(word[:-3])
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("sses"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return _undouble(word[:-2])
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _undouble(word: str) -> str:
    return word[:-1] if _DOUBLED_END.search(word) else word


def words(text: str) -> Iterator[str]:
    """Lowercased words of `text`, markup and punctuation dropped, stop words left out."""
    for match in _WORD.finditer(_APOSTROPHES.sub("", text.casefold())):
        word = match.group()
        if word not in STOP_WORDS:
            yield word


@dataclass(frozen=True)
class _Field:
    kind: str
    stems: tuple[str, ...]


@dataclass(frozen=True)
class _Item:
    """A searchable thing: a phase (title, aliases) or a move (text, next move, role)."""

    order: int
    phase: Phase
    move: Move | None
    fields: tuple[_Field, ...]


@dataclass(frozen=True)
class _Index:
    items: tuple[_Item, ...]
    postings: dict[str, tuple[int, ...]]  # stem -> items that contain it
    idf: dict[str, float]
    vocabulary: tuple[str, ...]  # surface words, for suggestions
    max_idf: float


def _field(kind: str, text: str) -> _Field:
    return _Field(kind, tuple(stem(w) for w in words(text)))


def _items(progression: Progression) -> Iterator[_Item]:
    role_names = {role.key: role.name for role in progression.roles}
    order = 0
    for phase in progression.phases:
        titles = (_field("title", phase.title), *(_field("alias", a) for a in phase.aliases))
        yield _Item(order, phase, None, titles)
        order += 1
        for action in phase.actions:
            fields = (
                _field("text", action.text),
                _field("next_move", action.next_move),
                _field("role", role_names.get(action.role, action.role)),
            )
            yield _Item(order, phase, Move(phase=phase, action=action), fields)
            order += 1


def _build_index(progression: Progression) -> _Index:
    items = tuple(_items(progression))
    postings: dict[str, list[int]] = {}
    for item in items:
        for stem_ in dict.fromkeys(s for f in item.fields for s in f.stems):
            postings.setdefault(stem_, []).append(item.order)
    total = len(items)
    idf = {s: math.log(1 + total / len(found)) for s, found in postings.items()}
    vocabulary: dict[str, None] = {}
    for phase in progression.phases:
        texts = (
            phase.title,
            *phase.aliases,
            *(t for a in phase.actions for t in (a.text, a.next_move)),
        )
        for text in texts:
            vocabulary.update(dict.fromkeys(words(text)))
    return _Index(
        items=items,
        postings={s: tuple(found) for s, found in postings.items()},
        idf=idf,
        vocabulary=tuple(w for w in vocabulary if len(w) > 2 and not w.isdigit()),
        max_idf=math.log(1 + total),
    )


_indexes = ProgressionCache()


def _index(progression: Progression) -> _Index:
    return _indexes.get_or_build(progression, _build_index)


def _query_stems(query: str) -> tuple[str, ...]:
    stems: dict[str, None] = {}
    for word in words(query[: MAX_QUERY_WORDS * 40]):
        stems[stem(word)] = None
        if len(stems) >= MAX_QUERY_WORDS:
            break
    return tuple(stems)


def _contains_phrase(haystack: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(haystack[i : i + size] == phrase for i in range(len(haystack) - size + 1))


def _score(item: _Item, query: tuple[str, ...], index: _Index) -> tuple[float, str]:
    weights = [index.idf.get(s, index.max_idf) for s in query]
    total = sum(weights)
    matched_anywhere: set[str] = set()
    best, best_kind, fields_hit, whole_in_one_field = 0.0, "", 0, False
    for field in item.fields:
        present = set(field.stems)
        matched = [w for s, w in zip(query, weights, strict=True) if s in present]
        if not matched:
            continue
        fields_hit += 1
        matched_anywhere.update(s for s in query if s in present)
        score = 10.0 * sum(matched) / total + _FIELD_WEIGHTS[field.kind]
        if len(matched) == len(query):
            whole_in_one_field = True
            score += _ALL_WORDS_BONUS
            if len(query) > 1 and _contains_phrase(field.stems, query):
                score += _PHRASE_BONUS
        if score > best:
            best, best_kind = score, field.kind
    if not whole_in_one_field and len(matched_anywhere) == len(query):
        # Every word is there, only spread over the text and the next move.
        best += _ALL_WORDS_BONUS / 2
    return best + _EXTRA_FIELD_BONUS * (fields_hit - 1), best_kind


def search(progression: Progression, query: str, limit: int = 10) -> list[SearchHit]:
    """The best matches for `query`, best first; empty when nothing matches."""
    stems = _query_stems(query)
    if not stems or limit <= 0:
        return []
    index = _index(progression)
    candidates = sorted({order for s in stems for order in index.postings.get(s, ())})
    scored: list[tuple[float, int, str]] = []
    for order in candidates:
        score, kind = _score(index.items[order], stems, index)
        scored.append((score, order, kind))
    scored.sort(key=lambda hit: (-hit[0], hit[1]))
    return [
        SearchHit(
            score=round(score, 3),
            phase=index.items[order].phase,
            move=index.items[order].move,
            matched=kind,
        )
        for score, order, kind in scored[:limit]
    ]


def suggestions(progression: Progression, query: str, limit: int = 3) -> list[str]:
    """Words from the progression close to what was typed, for a search with no match."""
    if limit <= 0:
        return []
    index = _index(progression)
    typed = list(dict.fromkeys(words(query[: _MAX_SUGGESTION_WORDS * 40])))[:_MAX_SUGGESTION_WORDS]
    # Words spelled right have nothing to suggest.
    per_word = [
        difflib.get_close_matches(word, index.vocabulary, limit, 0.75)
        for word in typed
        if stem(word) not in index.postings
    ]
    # Round-robin, so that every misspelt word gets its best candidate before any its second.
    found: dict[str, None] = {}
    for rank in range(max(map(len, per_word), default=0)):
        found.update(dict.fromkeys(close[rank] for close in per_word if rank < len(close)))
    return list(found)[:limit]
