"""Progression documents (tab-separated or Markdown tables) to a `Progression`.

A document is a sequence of phase blocks, each opened by a line such as
`Distance Learning Progression | Phase 3`, followed by an uppercase title, an optional intro
line and a table of rows: role (named on the first row of its group only), action number,
action text, next move. Text is kept verbatim; only emphasis markup becomes Slack mrkdwn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from progression.files import read_text
from progression.model import Action, Phase, Progression, Role

_PHASE_HEADER = re.compile(r"^(?P<name>.*?)\s*\|\s*Phase\s+(?P<number>\S+)\s*$", re.IGNORECASE)
_SOURCE_LINK = re.compile(r"\bvisit\s+(?P<link>\S+?)[.,;)]*\s*$", re.IGNORECASE)
_MARKDOWN_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_MARKDOWN_SEPARATOR_CELL = re.compile(r"^\s*:?-*:?\s*$")
_MARKUP = (
    (re.compile(r"<(i|em)>(.*?)</\1>", re.IGNORECASE | re.DOTALL), r"_\2_"),
    (re.compile(r"<(b|strong)>(.*?)</\1>", re.IGNORECASE | re.DOTALL), r"*\2*"),
    (re.compile(r"\*\*(.+?)\*\*"), r"*\1*"),
    (re.compile(r"(?<!\w)__(.+?)__(?!\w)"), r"*\1*"),
)
_SMALL_WORDS = frozenset("a an and for in of the to or on with".split())

# The words staff actually type for the four roles every district has.
KNOWN_ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "systems": (
        "system",
        "sys",
        "planner",
        "planners",
        "planning",
        "systems level planning",
        "district",
    ),
    "leader": (
        "leaders",
        "leadership",
        "principal",
        "principals",
        "ap",
        "aps",
        "campus leader",
        "campus leaders",
    ),
    "teacher": ("teachers",),
    "student": ("students", "student routines", "routines"),
}

_COLUMNS = 4  # role, action number, action text, next move


class DocumentError(ValueError):
    """A progression document that cannot be read; the message names file, line and problem."""


def translate_markup(text: str) -> str:
    """HTML/Markdown emphasis to Slack mrkdwn; everything else untouched."""
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text


def title_case(line: str) -> str:
    """`ESTABLISH A LEARNING MANAGEMENT SYSTEM (LMS)` -> `Establish a Learning ... (LMS)`."""
    if line != line.upper():
        return line  # already written in mixed case by a person: keep their choice
    words: list[str] = []
    in_parentheses = False
    for index, word in enumerate(line.split()):
        in_parentheses = in_parentheses or word.startswith("(")
        if in_parentheses:
            words.append(word)
        elif index > 0 and word.lower() in _SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
        if word.endswith(")"):
            in_parentheses = False
    return " ".join(words)


def role_key(name: str) -> str:
    """`Systems Level Planning` -> `systems`, `Teachers` -> `teacher`."""
    words = name.lower().split()
    first = re.sub(r"[^a-z0-9_-]", "", words[0]) if words else ""
    if len(words) == 1:
        first = _singular(first)
    return first.lstrip("0123456789_-")


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def make_role(name: str) -> Role:
    key = role_key(name)
    aliases = KNOWN_ROLE_ALIASES.get(key)
    if aliases is None:
        aliases = tuple(dict.fromkeys(a for a in (key, name.lower()) if a))
    return Role(key=key, name=name, aliases=aliases)


@dataclass
class _PhaseDraft:
    number: int
    line: int
    title: str | None = None
    intro_lines: list[str] = field(default_factory=list)
    actions: dict[int, Action] = field(default_factory=dict)
    header_seen: bool = False
    current_role: str | None = None


@dataclass
class _Document:
    source: str
    name: str | None = None
    link: str | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    phases: dict[int, _PhaseDraft] = field(default_factory=dict)


class _Parser:
    def __init__(self, source: str) -> None:
        self.document = _Document(source)
        self.phase: _PhaseDraft | None = None

    def error(self, line: int, problem: str) -> DocumentError:
        return DocumentError(f"{self.document.source} line {line}: {problem}")

    def feed(self, number: int, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        header = _PHASE_HEADER.match(line)
        if header and not line.startswith("|"):
            self.start_phase(number, header["name"], header["number"])
            return
        link = _SOURCE_LINK.search(line)
        if link and "\t" not in raw and not line.startswith("|"):
            self.document.link = link["link"]
            return
        if self.phase is None:
            return  # preamble before the first phase: cover pages, blank headers
        cells = _table_cells(raw)
        if cells is None:
            self.text_line(number, line)
        else:
            self.table_row(number, cells)

    def start_phase(self, line: int, name: str, number_text: str) -> None:
        if not number_text.isdigit() or int(number_text) < 1:
            raise self.error(line, f"phase number {number_text!r} is not a number")
        number = int(number_text)
        if number in self.document.phases:
            raise self.error(line, f"phase {number} appears twice in this document")
        if name.strip():
            self.document.name = name.strip()
        self.finish_phase()
        self.phase = _PhaseDraft(number=number, line=line)
        self.document.phases[number] = self.phase

    def text_line(self, line: int, text: str) -> None:
        assert self.phase is not None
        if self.phase.title is None:
            self.phase.title = title_case(text)
        elif not self.phase.header_seen and not self.phase.actions:
            self.phase.intro_lines.append(translate_markup(text))
        else:
            raise self.error(
                line, f"unexpected text in the table of phase {self.phase.number}: {text[:60]!r}"
            )

    def table_row(self, line: int, cells: list[str]) -> None:
        phase = self.phase
        assert phase is not None
        if _is_separator(cells):
            return
        if len(cells) != _COLUMNS:
            raise self.error(
                line,
                f"expected {_COLUMNS} columns (role, action number, action, next move), "
                f"found {len(cells)}",
            )
        role_name, number_text, text, next_move = cells
        if not phase.header_seen and not phase.actions and not number_text.isdigit():
            phase.header_seen = True  # the column headings: Action(s), Possible Next Move
            return
        if phase.title is None:
            raise self.error(line, f"phase {phase.number} has no title before its table")
        number = self.action_number(line, number_text)
        phase.actions[number] = Action(
            number=number,
            role=self.role_for(line, role_name, number),
            text=self.required(line, translate_markup(text), f"action {number} has no text"),
            next_move=self.required(
                line, translate_markup(next_move), f"action {number} has no next move"
            ),
        )

    def action_number(self, line: int, text: str) -> int:
        assert self.phase is not None
        if not text.isdigit() or int(text) < 1:
            raise self.error(line, f"action number {text!r} is not a number")
        number = int(text)
        if number in self.phase.actions:
            raise self.error(line, f"action {self.phase.number}.{number} appears twice")
        return number

    def role_for(self, line: int, name: str, number: int) -> str:
        assert self.phase is not None
        if name:
            key = role_key(name)
            if not key:
                raise self.error(line, f"role name {name!r} does not start with a letter")
            known = self.document.roles.get(key)
            if known is not None and known.name.lower() != name.lower():
                raise self.error(
                    line, f"roles {known.name!r} and {name!r} would share the key {key!r}"
                )
            self.document.roles.setdefault(key, make_role(name))
            self.phase.current_role = key
        if self.phase.current_role is None:
            raise self.error(
                line, f"action {number} has no role (the first row of a table names its role)"
            )
        return self.phase.current_role

    def required(self, line: int, value: str, problem: str) -> str:
        if not value:
            raise self.error(line, problem)
        return value

    def finish_phase(self) -> None:
        phase = self.phase
        if phase is None:
            return
        if phase.title is None:
            raise self.error(phase.line, f"phase {phase.number} has no title")
        if not phase.actions:
            raise self.error(phase.line, f"phase {phase.number} has no actions")


def _table_cells(raw: str) -> list[str] | None:
    """The cells of a table row, or None when the line is prose."""
    stripped = raw.strip()
    if stripped.startswith("|"):
        inner = stripped[1:-1] if stripped.endswith("|") and len(stripped) > 1 else stripped[1:]
        return [c.strip().replace("\\|", "|") for c in _MARKDOWN_CELL_SPLIT.split(inner)]
    if "\t" in raw:
        cells = [c.strip() for c in raw.rstrip("\r\n").split("\t")]
        while len(cells) > _COLUMNS and not cells[-1]:
            cells.pop()  # trailing tabs left by spreadsheets
        return cells
    return None


def _is_separator(cells: list[str]) -> bool:
    return all(_MARKDOWN_SEPARATOR_CELL.match(c) for c in cells) and any("-" in c for c in cells)


def _lines(text: str) -> list[str]:
    # Not str.splitlines(): it also splits on form feeds and U+2028, which would shift
    # the line numbers an editor shows.
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _parse(text: str, source: str) -> _Document:
    parser = _Parser(source)
    for number, raw in enumerate(_lines(text), start=1):
        parser.feed(number, raw)
    if not parser.document.phases:
        raise DocumentError(
            f"{source}: no phase found (expected a line such as "
            f"'Distance Learning Progression | Phase 1')"
        )
    parser.finish_phase()
    return parser.document


def _phase(draft: _PhaseDraft) -> Phase:
    assert draft.title is not None
    return Phase(
        number=draft.number,
        title=draft.title,
        intro=" ".join(draft.intro_lines) or None,
        actions=tuple(draft.actions[n] for n in sorted(draft.actions)),
    )


def _replace(older: Phase, newer: Phase) -> Phase:
    """`newer` wins; the titles it replaces stay findable as aliases."""
    titles = (*older.aliases, older.title, *newer.aliases)
    aliases = tuple(dict.fromkeys(t for t in titles if t != newer.title))
    return newer.model_copy(update={"aliases": aliases})


def _build(documents: Iterable[_Document]) -> Progression:
    name: str | None = None
    link: str | None = None
    roles: dict[str, Role] = {}
    phases: dict[int, Phase] = {}
    last_source = "<text>"
    for document in documents:
        last_source = document.source
        name = document.name or name
        link = document.link or link
        roles.update(document.roles)
        for number, draft in document.phases.items():
            phase = _phase(draft)
            older = phases.get(number)
            phases[number] = _replace(older, phase) if older else phase
    try:
        return Progression(
            **({"name": name} if name else {}),
            source=link,
            roles=tuple(roles.values()),
            phases=tuple(phases[n] for n in sorted(phases)),
        )
    except ValidationError as error:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
        raise DocumentError(f"{last_source}: {problems}") from None


def parse_document(text: str, source: str = "<text>") -> Progression:
    """One document; `source` names it in error messages."""
    return _build([_parse(text, source)])


def import_documents(texts: list[tuple[str, str]]) -> Progression:
    """(source name, text) pairs merged in order: a later phase replaces the same-numbered one."""
    if not texts:
        raise DocumentError("no document given")
    return _build([_parse(text, source) for source, text in texts])


def import_files(paths: list[Path]) -> Progression:
    texts = [(str(path), read_text(path, DocumentError, "document")) for path in paths]
    return import_documents(texts)
