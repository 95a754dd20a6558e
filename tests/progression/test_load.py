"""The data file: written readable, loaded quickly, refused in one clear line when broken."""

from __future__ import annotations

import copy
import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from progression.importer import import_documents
from progression.load import (
    BUNDLED,
    ProgressionFileError,
    dump_progression,
    load_progression,
)
from progression.model import Progression

Data = dict[str, Any]


def test_the_bundled_file_is_commented_and_readable_yaml() -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "progression-bot import" in text and "progression/sources/" in text
    assert "edited by hand" in text
    assert "{" not in text and "[]" not in text  # block style throughout


def test_keys_are_in_model_order() -> None:
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    assert list(data) == ["name", "source", "roles", "phases"]
    phase = data["phases"][2]
    assert list(phase) == ["number", "title", "aliases", "intro", "actions"]
    assert list(phase["actions"][0]) == ["number", "role", "text", "next_move"]
    assert list(data["roles"][0]) == ["key", "name", "aliases"]


def test_long_text_stays_on_one_line(bundled: Progression) -> None:
    lines = BUNDLED.read_text(encoding="utf-8").splitlines()
    for move in bundled.moves():
        for text in (move.action.text, move.action.next_move):
            assert any(text in line for line in lines), move.ref


def test_dump_then_load_gives_the_same_progression(bundled: Progression, tmp_path: Path) -> None:
    out = tmp_path / "copy.yml"
    dump_progression(bundled, out)
    assert load_progression(out) == bundled
    assert [p.name for p in tmp_path.iterdir()] == ["copy.yml"]  # no temporary file left


def test_loading_is_quick() -> None:
    best = min(_timed(lambda: load_progression()) for _ in range(5))
    assert best < 0.05


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


@functools.cache
def _parsed_bundled_file() -> Data:
    data: Data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    return data


def _bundled_data() -> Data:
    """A fresh copy to break: parsing the file again for every example would take seconds."""
    return copy.deepcopy(_parsed_bundled_file())


def _drop_next_move(data: Data) -> None:
    del data["phases"][1]["actions"][2]["next_move"]


def _misspell_next_move(data: Data) -> None:
    action = data["phases"][0]["actions"][0]
    action["next_mvoe"] = action.pop("next_move")


def _phase_number_as_word(data: Data) -> None:
    data["phases"][0]["number"] = "one"


def _unknown_role(data: Data) -> None:
    data["phases"][1]["actions"][4]["role"] = "teachr"


def _duplicate_action(data: Data) -> None:
    data["phases"][0]["actions"][1]["number"] = 1


def _empty_text(data: Data) -> None:
    data["phases"][3]["actions"][11]["text"] = "  "


def _duplicate_phase(data: Data) -> None:
    data["phases"][1]["number"] = 1


def _no_roles(data: Data) -> None:
    data["roles"] = []


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (
            _drop_next_move,
            "custom.yml: phases[1].actions[2].next_move: Field required (action 2.3)",
        ),
        (
            _misspell_next_move,
            "custom.yml: phases[0].actions[0].next_mvoe: unknown field (action 1.1) "
            "(did you mean 'next_move'?)",
        ),
        (
            _phase_number_as_word,
            "custom.yml: phases[0].number: Input should be a valid integer, "
            "unable to parse string as an integer, got 'one'",
        ),
        (
            _unknown_role,
            "custom.yml: action 2.5 names role 'teachr', which is not one of "
            "['systems', 'leader', 'teacher', 'student']",
        ),
        (
            _duplicate_action,
            "custom.yml: phases[0].actions: action numbers must be unique and ascending, "
            "got [1, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] (phase 1)",
        ),
        (
            _empty_text,
            "custom.yml: phases[3].actions[11].text: String should have at least 1 character, "
            "got '  ' (action 4.12)",
        ),
        (
            _duplicate_phase,
            "custom.yml: phase numbers must be unique and ascending, got [1, 1, 3, 4]",
        ),
        (_no_roles, "custom.yml: roles: List should have at least 1 item after validation, not 0"),
    ],
)
def test_a_broken_field_is_refused_naming_file_field_and_problem(
    break_it: Callable[[Data], None], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _refusal(break_it, tmp_path, monkeypatch) == message


def _two_problems(data: Data) -> None:
    del data["phases"][1]["actions"][2]["next_move"]
    data["phases"][2]["actions"][0]["role"] = 7


def _action_number_as_word(data: Data) -> None:
    data["phases"][1]["actions"][2]["number"] = "three"


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (
            _two_problems,
            "custom.yml: phases[1].actions[2].next_move: Field required (action 2.3) (and 1 more)",
        ),
        (
            _action_number_as_word,
            "custom.yml: phases[1].actions[2].number: Input should be a valid integer, "
            "unable to parse string as an integer, got 'three' (phase 2)",
        ),
    ],
)
def test_the_first_problem_is_named_and_the_rest_counted(
    break_it: Callable[[Data], None], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _refusal(break_it, tmp_path, monkeypatch) == message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "name: x\nroles:\n  - key: a\n    name: b\nphases:\n  - number: 1\n\ttitle: t\n",
            "custom.yml: line 7: YAML could not be read (found",
        ),
        ("name: [unclosed\n", "custom.yml: line 2: YAML could not be read"),
        ("- a list\n- not a mapping\n", "custom.yml: expected a mapping"),
        ("", "custom.yml: expected a mapping with name, source, roles and phases, found nothing"),
        (b"\xff\xfe broken", "custom.yml: not UTF-8 text"),
    ],
)
def test_an_unreadable_file_is_refused_naming_file_line_and_problem(
    content: str | bytes, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("custom.yml")
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ProgressionFileError) as refused:
        load_progression(path)
    assert str(refused.value).startswith(message)


def test_a_missing_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProgressionFileError, match=r"^custom\.yml: no such file$"):
        load_progression(Path("custom.yml"))


# libyaml keeps a hundred and fifty dumps of the whole file from taking seconds.
_FastDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_FastLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


def _containers(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every (container path, key) in the data, to pick one to break."""
    found: list[tuple[object, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in items:
        found.append((*path, key))
        found += _containers(child, (*path, key))
    return found


_PLACES = _containers(_bundled_data())


@settings(max_examples=150, deadline=None)
@given(place=st.sampled_from(_PLACES), value=_VALUES)
def test_any_broken_field_is_refused_in_one_line(place: tuple[object, ...], value: object) -> None:
    data = _bundled_data()
    parent: Any = data
    for key in place[:-1]:
        parent = parent[key]
    parent[place[-1]] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "custom.yml"
        path.write_text(yaml.dump(data, Dumper=_FastDumper), encoding="utf-8")
        try:
            expected = Progression.model_validate(yaml.load(path.read_bytes(), Loader=_FastLoader))
        except ValidationError:
            with pytest.raises(ProgressionFileError) as refused:
                load_progression(path)
            message = str(refused.value)
            assert message.startswith(f"{path}: ") and "\n" not in message
        else:
            assert load_progression(path) == expected


CUSTOM_DOCUMENT = """\
Springfield Progression | Phase 1

GETTING STARTED WITH THE HUB

\tAction(s)\t\tPossible Next Move to Take
Coach\t1\tCoach sets up the hub.\tWalk teachers through it.
\t2\tCoach models a <i>short</i> lesson.\tRecord it.

Springfield Progression | Phase 2

STAYING IN TOUCH

During the second month coaches and families will:

| | Action(s) | | Possible Next Move to Take |
|--|--|--|--|
| Coach | 1 | Coach holds office hours. | Post the **office hours** calendar. |
| Family Partners | 2 | Families reply to one message a week. | Keep messages short. |

Springfield Progression | Phase 3

LOOKING BACK

\tAction(s)\t\tPossible Next Move to Take
Family Partners\t1\tFamilies tell us what worked.\tUse a three-question form.

For inspiration, visit springfield.example/progression.
"""


def test_a_progression_of_another_shape_imports_dumps_and_loads(tmp_path: Path) -> None:
    imported = import_documents([("springfield.txt", CUSTOM_DOCUMENT)])
    out = tmp_path / "springfield.yml"
    dump_progression(imported, out)
    loaded = load_progression(out)

    assert loaded == imported
    assert loaded.name == "Springfield Progression"
    assert loaded.source == "springfield.example/progression"
    assert [r.key for r in loaded.roles] == ["coach", "family"]
    family = loaded.role("family")
    assert family is not None and family.aliases == ("family", "family partners")
    assert [p.title for p in loaded.phases] == [
        "Getting Started with the Hub",
        "Staying in Touch",
        "Looking Back",
    ]
    assert [(m.ref, m.action.role) for m in loaded.moves()] == [
        ("1.1", "coach"),
        ("1.2", "coach"),
        ("2.1", "coach"),
        ("2.2", "family"),
        ("3.1", "family"),
    ]
    first = loaded.phase(1)
    assert first is not None and first.actions[1].text == "Coach models a _short_ lesson."
    second = loaded.phase(2)
    assert second is not None
    assert second.intro == "During the second month coaches and families will:"
    assert second.actions[0].next_move == "Post the *office hours* calendar."


def _refusal(
    break_it: Callable[[Data], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The one-line refusal of the bundled file broken by `break_it`, saved as custom.yml."""
    data = _bundled_data()
    break_it(data)
    monkeypatch.chdir(tmp_path)
    Path("custom.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ProgressionFileError) as refused:
        load_progression(Path("custom.yml"))
    return str(refused.value)


@pytest.mark.parametrize("key", ["\n", "a\rb", "x\u2028y", "\x00"])
def test_an_unknown_field_with_a_control_character_is_named_on_one_line(
    tmp_path: Path, key: str
) -> None:
    data = _bundled_data()
    data["phases"][0][key] = "x"
    path = tmp_path / "custom.yml"
    path.write_text(yaml.dump(data, Dumper=_FastDumper), encoding="utf-8")
    with pytest.raises(ProgressionFileError) as refused:
        load_progression(path)
    message = str(refused.value)
    assert "\n" not in message and "\r" not in message and "\u2028" not in message
    assert repr(key) in message
