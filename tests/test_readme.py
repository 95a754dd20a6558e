"""The README tells the truth: its set-up commands, CI, and the CLI it documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _sh_blocks() -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S)]


def test_the_first_command_installs_and_opens_the_local_workspace() -> None:
    first = _sh_blocks()[0]
    assert "pip install" in first and first.endswith("progression-bot try")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = _sh_blocks()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci, "the README's second command must be the line .ci/run runs"
    assert "pytest" in test_command


def test_ci_runs_it_in_a_fresh_clone_and_leaves_the_developers_venv_alone() -> None:
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in ci if line and not line.startswith("#")]
    runs = commands.index(_sh_blocks()[1])
    # Before the README's command: into a clone made in a new temporary folder.
    before = "\n".join(commands[:runs])
    assert 'work="$(mktemp -d' in before and "git clone" in before
    assert 'cd "$work/progression-bot"' in commands[:runs]
    assert not any(
        line.startswith("cd")
        for line in commands[commands.index('cd "$work/progression-bot"') + 1 : runs]
    )
    assert not any("rm " in line and ".venv" in line for line in commands)
    # and a skipped test fails CI: a fresh clone has everything its tests need.
    assert any("skipped" in line for line in commands[runs:])


def test_every_setting_the_app_reads_is_documented() -> None:
    for field in Settings.model_fields.values():
        assert field.alias and f"`{field.alias}`" in README, field.alias


@pytest.mark.parametrize(
    "command",
    ["try", "serve", "show", "search", "import", "nudge", "export", "copy-db", "backup", "runner"],
)
def test_every_cli_command_in_the_readme_exists(command: str) -> None:
    assert f"progression-bot {command}" in README
    build_parser().parse_args(
        [
            command,
            *{
                "show": ["3"],
                "search": ["x"],
                "copy-db": ["a.db", "postgresql://h/d"],
                "backup": ["copy.db"],
            }.get(command, []),
        ]
        if command != "import"
        else ["import", "a.txt", "--out", "b.yml"]
    )


def test_benchmark_figures_are_filled_in() -> None:
    assert "PLACEHOLDER" not in README
