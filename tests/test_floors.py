"""Floors point down: no module imports from a floor above its own (STYLE.md).

`progression/` is the bottom, `store/` above it, `scheduler/` above that and `bot/` on top; the
local workspace, beside the app, is imported by none of it. Within a package, no two modules
import each other, directly or through others (no import cycle). Every import counts, including
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


# Cycles known and left for now, each a sorted tuple of modules (remove one once it is gone).
KNOWN_CYCLES: list[tuple[str, ...]] = []


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(root: Path, name: str) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(root: Path, path: Path) -> set[str]:
    """The modules a module imports, wherever in the module the import is: `from a.b import c`
    imports the module a.b.c when there is one, else a.b."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if is_module(root, name) else node.module)
    return found


def import_cycles(root: Path) -> list[tuple[str, ...]]:
    """The groups of modules of one package that import each other, directly or not."""
    cycles: list[tuple[str, ...]] = []
    for package in (*FLOORS, *BESIDE):
        graph = {
            module_name(root, path): {
                name
                for name in imported_modules(root, path)
                if name.split(".")[0] == package and name != module_name(root, path)
            }
            for path in sorted((root / package).rglob("*.py"))
        }
        reach = {module: _reachable(graph, module) for module in graph}
        grouped: set[str] = set()
        for module in sorted(graph):
            if module in reach[module] and module not in grouped:
                cycle = tuple(sorted(m for m in reach[module] if module in reach[m]))
                grouped.update(cycle)
                cycles.append(cycle)
    return cycles


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return seen


def test_no_package_has_an_import_cycle() -> None:
    assert import_cycles(ROOT) == KNOWN_CYCLES


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        ({"a.py": "from store import b\n", "b.py": "import store.a\n"}, ("store.a", "store.b")),
        (
            {
                "a.py": "from store.b import X\n",
                "b.py": "def f():\n    from store.c import Y\n",  # inside a function too
                "c.py": "import store.a\n",
            },
            ("store.a", "store.b", "store.c"),
        ),
        (
            {"__init__.py": "from store.a import X\n", "a.py": "from store import Y\n"},
            ("store", "store.a"),
        ),
    ],
)
def test_an_import_cycle_is_found(
    tmp_path: Path, files: dict[str, str], cycle: tuple[str, ...]
) -> None:
    for name in (*FLOORS, *BESIDE):
        (tmp_path / name).mkdir()
    for name, source in files.items():
        (tmp_path / "store" / name).write_text(source)
    assert import_cycles(tmp_path) == [cycle]


def test_importing_down_a_package_is_no_cycle(tmp_path: Path) -> None:
    for name in (*FLOORS, *BESIDE):
        (tmp_path / name).mkdir()
    (tmp_path / "store" / "__init__.py").write_text("from store.db import Store\n")
    (tmp_path / "store" / "db.py").write_text("from store.backend import Backend\n")
    (tmp_path / "store" / "backend.py").write_text("import sqlite3\n")
    assert import_cycles(tmp_path) == []
