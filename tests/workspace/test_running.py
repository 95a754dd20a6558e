"""`progression-bot try` put together in this process: what the page answers while it starts."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from workspace import district
from workspace.running import LocalWorkspace, WorkspaceStartError
from workspace.server_thread import ServerThread


def status_of(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.getheader("location") or ""
    finally:
        connection.close()


def test_the_page_answers_from_the_moment_the_server_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The person switch's 500 (IndexError in the front page's `channels[0]`): the server
    listened before the district was in the workspace, so a page asked for in between, as a
    tab left open on an earlier run asks at once, found no channel at all."""
    answers: list[tuple[int, str]] = []
    start = ServerThread.start

    def start_then_visit(server: ServerThread) -> bool:
        started = start(server)
        answers.append(status_of(server.port, f"/?as={district.TEACHER.id}"))
        return started

    def no_app(local: LocalWorkspace) -> None:
        raise WorkspaceStartError("not needed: the page is what is under test")

    monkeypatch.setattr(ServerThread, "start", start_then_visit)
    monkeypatch.setattr(LocalWorkspace, "_start_app", no_app)
    local = LocalWorkspace("127.0.0.1", 0, tmp_path / "progression-try.db")
    try:
        with pytest.raises(WorkspaceStartError):
            local.start()
    finally:
        local.stop()
    assert answers == [(303, f"/c/{district.TEACHERS.id}?as={district.TEACHER.id}")]
