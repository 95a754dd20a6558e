"""Floors point down: no module imports from a floor above its own (STYLE.md).

`progression/` is the bottom, `store/` above it, `scheduler/` above that and `bot/` on top; the
local workspace, beside the app, is imported by none of it. Every import counts, including
those inside functions and under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {"progression": 0, "store": 1, "scheduler": 2, "bot": 3}
BESIDE = ("workspace",)  # the local Slack stand-in: nothing of the app may import it


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever in the module the import is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def upward_arrows(root: Path) -> list[str]:
    arrows = []
    for package, floor in FLOORS.items():
        for path in sorted((root / package).rglob("*.py")):
            for imported in sorted(imported_packages(path)):
                if FLOORS.get(imported, -1) > floor or imported in BESIDE:
                    arrows.append(f"{path.relative_to(root)} imports {imported}")
    return arrows


def test_no_floor_imports_from_a_floor_above_it() -> None:
    assert upward_arrows(ROOT) == []


@pytest.mark.parametrize(
    ("package", "source", "arrow"),
    [
        ("scheduler", "from bot.settings import Settings\n", "scheduler/m.py imports bot"),
        ("store", "def f():\n    import scheduler.jobs\n", "store/m.py imports scheduler"),
        ("progression", "import store\n", "progression/m.py imports store"),
        ("bot", "from workspace import site\n", "bot/m.py imports workspace"),
    ],
)
def test_an_upward_import_is_found(tmp_path: Path, package: str, source: str, arrow: str) -> None:
    for name in FLOORS:
        (tmp_path / name).mkdir()
    (tmp_path / package / "m.py").write_text(source)
    assert upward_arrows(tmp_path) == [arrow]


def test_a_downward_import_is_fine(tmp_path: Path) -> None:
    for name in FLOORS:
        (tmp_path / name).mkdir()
    (tmp_path / "bot" / "m.py").write_text("from scheduler import jobs\nimport store\n")
    (tmp_path / "scheduler" / "m.py").write_text("from progression.model import Move\n")
    assert upward_arrows(tmp_path) == []
