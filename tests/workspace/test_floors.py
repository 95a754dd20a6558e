"""The workspace is Slack beside the app: no module of the app imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

APP_PACKAGES = ("bot", "progression", "scheduler", "store")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", APP_PACKAGES)
def test_no_module_of_the_app_imports_the_workspace(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        workspace = {m for m in imported_modules(path) if m.split(".")[0] == "workspace"}
        assert not workspace, f"{path.relative_to(ROOT)} imports {sorted(workspace)}"


@pytest.mark.parametrize("module", ["web_api.py", "socket_mode.py"])
def test_the_tests_slack_is_the_workspaces_not_a_second_copy(module: str) -> None:
    imported = imported_modules(ROOT / "tests" / "slack" / module)
    servers = {m for m in imported if m.startswith(("http.server", "websockets", "socketserver"))}
    assert not servers, f"tests/slack/{module} serves Slack itself with {sorted(servers)}"
    assert any(m.startswith("workspace.") for m in imported)
