"""The progression in the terminal, and the importer, as an operator runs them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from importlib.metadata import version
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
    words = " ".join(result.stdout.split())  # as read, whatever the wrapping
    for text in expected:
        assert text in words
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


def _at(columns: int, *args: str) -> str:
    result = run_cli(*args, env={"PATH": "/usr/bin:/bin", "COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "args", [["show", "3"], ["show", "teacher"], ["show", "4.10"], ["search", "rostering"]]
)
def test_show_and_search_wrap_to_the_terminal(args: list[str]) -> None:
    wide, narrow = _at(1000, *args), _at(80, *args)
    assert max(len(line) for line in wide.splitlines()) > 80  # so there was wrapping to do
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert narrow.split() == wide.split()  # every word kept, in order


def test_wrapped_lines_hang_under_their_text() -> None:
    lines = _at(80, "show", "3").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  3.1   "))
    # `  3.1   Explore, ...` then its continuation, then `Next move:` and its continuation.
    assert lines[first + 1].startswith(" " * 8) and lines[first + 1][8] != " "
    next_move = next(i for i in range(first, len(lines)) if "Next move:" in lines[i])
    hang = lines[next_move].index("Next move:") + len("Next move: ")
    assert lines[next_move + 1].startswith(" " * hang) and lines[next_move + 1][hang] != " "


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"progression-bot {version('progression-bot')}"


def test_python_m_bot_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "show", "3.8"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "Write directions or create video tutorials" in result.stdout


def test_serve_help_says_what_port_and_host_do() -> None:
    result = run_cli("serve", "--help", env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert result.returncode == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "TCP port" in lines["--port"] and "(default: 3000)" in lines["--port"]
    assert "address to listen on" in lines["--host"] and "(default: 0.0.0.0)" in lines["--host"]


def test_the_hint_show_help_works() -> None:
    refused = run_cli("show", "frobnicate")
    assert refused.returncode == 2 and "progression-bot show help" in refused.stderr
    for args in (["show", "help"], ["show"]):
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
        assert "progression-bot show 3.8" in result.stdout
        assert "progression-bot search WORDS" in result.stdout


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_import_writes_with_the_users_umask(tmp_path: Path, umask: int, mode: int) -> None:
    out = tmp_path / "progression.yml"
    previous = os.umask(umask)  # the child inherits it, as from an operator's shell
    try:
        result = run_cli("import", *map(str, sorted(SOURCES.glob("*.txt"))), "--out", str(out))
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_import_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    out = tmp_path / "progression.yml"
    out.write_text("old")
    out.chmod(0o664)
    result = run_cli("import", *map(str, sorted(SOURCES.glob("*.txt"))), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o664
