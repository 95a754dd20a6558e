"""The progression in the terminal, and the importer, as an operator runs them."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from progression.load import BUNDLED, SOURCES
from tests.conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["show", "3"],
            [
                "Engagement in Independent Learning",
                "During asynchronous learning",
                "Teacher sets directions that are specific",
            ],
        ),
        (["show", "3.8"], ["Write directions or create video tutorials", "Teacher"]),
        (["show", "phase", "3", "teacher"], ["Teacher leverages asynchronous learning"]),
        (["show", "leaders"], ["Leader identifies LMS for campus wide use"]),
        (["search", "rostering"], ["single sign on (SSO) rostering"]),
        (["show", "3.6"], ["When appropriate , the leader executes"]),
    ],
)
def test_show_and_search_print_the_progression(args: list[str], expected: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout
    assert "_When appropriate_" not in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [(["show", "9"], "Phase 9 does not exist"), (["show", "3.13"], "no action 13")],
)
def test_show_refuses_what_does_not_exist_in_one_line(args: list[str], says: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert says in line and "&lt;" not in line


def test_the_readmes_import_command_writes_the_bundled_file_byte_for_byte(
    tmp_path: Path,
) -> None:
    [command] = re.findall(r"^progression-bot import .*$", README, flags=re.M)
    # A fresh clone's files, so that the command writes its copy where the README says.
    shutil.copytree(SOURCES, tmp_path / "progression" / "sources")
    args = shlex.split(command)[1:]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "4 phases, 48 actions" in result.stdout
    assert (tmp_path / "progression" / "progression.yml").read_bytes() == BUNDLED.read_bytes()


def test_progression_file_loads_another_progression(tmp_path: Path) -> None:
    custom = tmp_path / "custom.yml"
    custom.write_text(
        BUNDLED.read_text().replace("Feedback for Learning", "Feedback That Moves Learning")
    )
    result = run_cli("show", "4", env={"PATH": "/usr/bin:/bin", "PROGRESSION_FILE": str(custom)})
    assert "Feedback That Moves Learning" in result.stdout, result.stderr


def test_a_broken_progression_file_is_refused_with_file_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BUNDLED.read_text().replace("next_move:", "next_mvoe:", 1))
    result = run_cli("show", "1", env={"PATH": "/usr/bin:/bin", "PROGRESSION_FILE": str(broken)})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "broken.yml" in line and ("next_mvoe" in line or "next_move" in line)
