"""The importer: both seed formats, merging, markup, and clear errors for broken documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from progression.importer import (
    DocumentError,
    import_documents,
    import_files,
    parse_document,
    role_key,
    title_case,
    translate_markup,
)
from progression.model import Progression

ALL_REFS = [f"{phase}.{action}" for phase in range(1, 5) for action in range(1, 13)]


def dumb_rows(seeds: list[Path]) -> dict[str, tuple[str, str]]:
    """Action and next move per `P.A`, read without the importer: split the lines, swap markup."""
    rows: dict[str, tuple[str, str]] = {}
    for seed in seeds:
        phase = 0
        for line in seed.read_text(encoding="utf-8").splitlines():
            if "| Phase " in line:
                phase = int(line.rsplit(" ", 1)[1])
                continue
            cells = line.split("\t") if "\t" in line else line.strip().strip("|").split("|")
            if len(cells) == 4 and cells[1].strip().isdigit():
                text, move = (
                    cell.strip().replace("<i>", "_").replace("</i>", "_").replace("**", "*")
                    for cell in cells[2:]
                )
                rows[f"{phase}.{cells[1].strip()}"] = (text, move)
    return rows


@pytest.fixture(scope="module")
def expected_rows(seeds: list[Path]) -> dict[str, tuple[str, str]]:
    rows = dumb_rows(seeds)
    assert sorted(rows) == sorted(ALL_REFS)
    return rows


def test_the_seeds_import_to_the_bundled_file(seeds: list[Path], bundled: Progression) -> None:
    assert import_files(seeds) == bundled


@pytest.mark.parametrize("ref", ALL_REFS)
def test_every_action_and_next_move_is_word_for_word(
    ref: str, expected_rows: dict[str, tuple[str, str]], bundled: Progression
) -> None:
    phase_number, action_number = map(int, ref.split("."))
    phase = bundled.phase(phase_number)
    assert phase is not None
    action = phase.action(action_number)
    assert action is not None
    assert (action.text, action.next_move) == expected_rows[ref]


@pytest.mark.parametrize(
    ("number", "title", "aliases"),
    [
        (1, "Establish a Learning Management System (LMS)", ()),
        (2, "Synchronous Student Engagement", ()),
        (3, "Engagement in Independent Learning", ("Asynchronous Student Engagement",)),
        (4, "Feedback for Learning", ()),
    ],
)
def test_titles_and_aliases_as_the_spec_names_them(
    number: int, title: str, aliases: tuple[str, ...], bundled: Progression
) -> None:
    phase = bundled.phase(number)
    assert phase is not None
    assert (phase.title, phase.aliases) == (title, aliases)


@pytest.mark.parametrize(
    ("number", "intro"),
    [
        (1, None),
        (2, "During guided learning leaders, teachers, and students will:"),
        (3, "During *asynchronous learning* leaders, teachers, and students will:"),
        (4, None),
    ],
)
def test_intros(number: int, intro: str | None, bundled: Progression) -> None:
    phase = bundled.phase(number)
    assert phase is not None and phase.intro == intro


def test_source_link_and_name(bundled: Progression) -> None:
    assert bundled.source == "www.thepttoolbox.com/distancelearningprogression"
    assert bundled.name == "Distance Learning Progression"


@pytest.mark.parametrize(
    ("actions", "key", "name"),
    [
        (range(1, 4), "systems", "Systems Level Planning"),
        (range(4, 7), "leader", "Leader"),
        (range(7, 10), "teacher", "Teacher"),
        (range(10, 13), "student", "Student"),
    ],
)
def test_roles_own_their_actions_in_every_phase(
    actions: range, key: str, name: str, bundled: Progression
) -> None:
    role = bundled.role(key)
    assert role is not None and role.name == name
    for phase in bundled.phases:
        assert [a.number for a in phase.actions if a.role == key] == list(actions)


@pytest.mark.parametrize(
    ("key", "alias"),
    [
        ("systems", "sys"),
        ("systems", "district"),
        ("leader", "principal"),
        ("leader", "aps"),
        ("teacher", "teachers"),
        ("student", "student routines"),
    ],
)
def test_known_roles_get_the_words_staff_use(key: str, alias: str, bundled: Progression) -> None:
    role = bundled.role(key)
    assert role is not None and alias in role.aliases


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (
            "ESTABLISH A LEARNING MANAGEMENT SYSTEM (LMS)",
            "Establish a Learning Management System (LMS)",
        ),
        ("SYNCHRONOUS STUDENT ENGAGEMENT", "Synchronous Student Engagement"),
        ("ENGAGEMENT IN INDEPENDENT LEARNING", "Engagement in Independent Learning"),
        ("FEEDBACK FOR LEARNING", "Feedback for Learning"),
        ("THE ROLE OF THE FAMILY", "The Role of the Family"),
        ("SHORT-TERM GOALS AND (SIS, SSO) ROSTERS", "Short-Term Goals and (SIS, SSO) Rosters"),
        ("Already Mixed case", "Already Mixed case"),
    ],
)
def test_title_case(line: str, title: str) -> None:
    assert title_case(line) == title


@pytest.mark.parametrize(
    ("source", "mrkdwn"),
    [
        ("<i>When appropriate</i> , the leader", "_When appropriate_ , the leader"),
        ("During **asynchronous learning** leaders", "During *asynchronous learning* leaders"),
        ("<b>bold</b> and <em>it</em>", "*bold* and _it_"),
        ("no markup: 2 * 3 < 4", "no markup: 2 * 3 < 4"),
    ],
)
def test_markup_becomes_mrkdwn(source: str, mrkdwn: str) -> None:
    assert translate_markup(source) == mrkdwn


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Systems Level Planning", "systems"),
        ("Leader", "leader"),
        ("Teachers", "teacher"),
        ("Student", "student"),
        ("Family Partners", "family"),
        ("Coaches", "coache"),
    ],
)
def test_role_key(name: str, key: str) -> None:
    assert role_key(name) == key


def _document(*rows: str, title: str = "CUSTOM PHASE", number: str = "1") -> str:
    return "\n".join(
        [
            "Distance Learning Progression | Phase " + number,
            "",
            title,
            "",
            "\tAction(s)\t\tPossible Next Move to Take",
            *rows,
        ]
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            _document("Coach\tx\tDo it.\tNext."),
            "custom.txt line 6: action number 'x' is not a number",
        ),
        (_document("\t1\tDo it.\tNext."), "custom.txt line 6: action 1 has no role"),
        (_document("Coach\t1\tDo it."), "custom.txt line 6: expected 4 columns"),
        (
            _document("Coach\t1\tDo it.\tNext.", "\t1\tAgain.\tNext."),
            "custom.txt line 7: action 1.1 appears twice",
        ),
        (_document("Coach\t1\t\tNext."), "custom.txt line 6: action 1 has no text"),
        (_document("Coach\t1\tDo it.\t "), "custom.txt line 6: action 1 has no next move"),
        (
            _document("Coach\t1\tDo it.\tNext.", number="one"),
            "custom.txt line 1: phase number 'one' is not a number",
        ),
        (
            _document("Coach\t1\tDo it.\tNext.", "A stray sentence."),
            "custom.txt line 7: unexpected text in the table of phase 1",
        ),
        (_document(), "custom.txt line 1: phase 1 has no actions"),
        ("Just some notes\nwith no table at all\n", "custom.txt: no phase found"),
        ("", "custom.txt: no phase found"),
    ],
)
def test_broken_documents_are_refused_naming_file_line_and_problem(text: str, problem: str) -> None:
    with pytest.raises(DocumentError) as refused:
        parse_document(text, "custom.txt")
    assert problem in str(refused.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(DocumentError, match=r"nowhere\.txt: no such file"):
        import_files([missing])


def test_bom_and_crlf_are_tolerated(seeds: list[Path], tmp_path: Path) -> None:
    windows = tmp_path / "windows.txt"
    windows.write_bytes(b"\xef\xbb\xbf" + seeds[0].read_bytes().replace(b"\n", b"\r\n"))
    assert import_files([windows]) == import_files([seeds[0]])


def test_markdown_and_tab_tables_read_alike(seeds: list[Path]) -> None:
    old, new = (parse_document(seed.read_text(encoding="utf-8")) for seed in seeds)
    old_three, new_three = old.phase(3), new.phase(3)
    assert old_three is not None and new_three is not None
    assert old_three.actions == new_three.actions


def test_a_later_document_replaces_a_phase_and_keeps_every_older_title() -> None:
    row = "Coach\t1\tDo it.\tNext."
    progression = import_documents(
        [
            ("a.txt", _document(row, title="FIRST TITLE") + "\nFor more, visit example.org/a."),
            ("b.txt", _document(row, title="SECOND TITLE") + "\nFor more, visit example.org/b."),
            ("c.txt", _document(row, title="THIRD TITLE")),
        ]
    )
    phase = progression.phase(1)
    assert phase is not None
    assert (phase.title, phase.aliases) == ("Third Title", ("First Title", "Second Title"))
    assert progression.source == "example.org/b"


def test_any_number_of_phases_roles_and_actions() -> None:
    big = [f"Coach\t{n}\tAction {n}.\tMove {n}." for n in range(1, 31)]
    text = "\n".join(_document(*big, number=str(p)) for p in range(1, 8))
    progression = parse_document(text)
    assert [len(p.actions) for p in progression.phases] == [30] * 7


@given(st.text(max_size=400))
def test_any_text_is_imported_or_refused_with_a_document_error(text: str) -> None:
    try:
        result = parse_document(text, "fuzz.txt")
    except DocumentError as error:
        assert str(error).startswith("fuzz.txt")
    else:
        assert isinstance(result, Progression)


@given(
    st.lists(
        st.sampled_from(
            [
                "Coach\t1\tDo.\tNext.",
                "\t2\tMore.\tThen.",
                "|x|",
                "\t",
                "",
                "Phase 2",
                "Distance Learning Progression | Phase 2",
                "TITLE",
                "| | 3 | a | b |",
                "|--|--|",
            ]
        ),
        max_size=12,
    )
)
def test_document_like_text_is_imported_or_refused(lines: list[str]) -> None:
    try:
        parse_document(_document(*lines), "fuzz.txt")
    except DocumentError as error:
        assert str(error).startswith("fuzz.txt")
