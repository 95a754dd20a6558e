"""The README tells the truth: its set-up commands, CI, and the CLI it documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import _parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _sh_blocks() -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S)]


def test_the_first_command_installs_and_serves() -> None:
    first = _sh_blocks()[0]
    assert "pip install" in first and first.endswith("progression-bot serve")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = _sh_blocks()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci, "the README's second command must be the line .ci/run runs"
    assert "pytest" in test_command


def test_every_setting_the_app_reads_is_documented() -> None:
    for field in Settings.model_fields.values():
        assert field.alias and f"`{field.alias}`" in README, field.alias


@pytest.mark.parametrize(
    "command", ["serve", "show", "search", "import", "nudge", "export", "runner"]
)
def test_every_cli_command_in_the_readme_exists(command: str) -> None:
    assert f"progression-bot {command}" in README
    _parser().parse_args(
        [command, *{"show": ["3"], "search": ["x"]}.get(command, [])]
        if command != "import"
        else ["import", "a.txt", "--out", "b.yml"]
    )


def test_benchmark_figures_are_filled_in() -> None:
    assert "PLACEHOLDER" not in README
