"""`progression-bot try` as a newcomer runs it: it starts, keeps its workspace between runs
unless --fresh, and says in one line what is wrong."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from store import Store
from tests.conftest import run_cli
from tests.workspace.conftest import start_try, stop_try
from workspace import district
from workspace.cli import host_warning
from workspace.state import TEAM_ID


def teachers_channel(url: str) -> str:
    return channel_html(url, district.TEACHERS.id, district.TEACHER.id)


def channel_html(url: str, channel: str, person: str) -> str:
    query = f"channel={channel}&as={person}"
    with urllib.request.urlopen(f"{url}fragment/messages?{query}", timeout=10) as answer:
        return str(answer.read().decode())


def act(url: str, what: str, body: dict[str, str]) -> None:
    request = urllib.request.Request(
        f"{url}act/{what}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 204


def leaders_chart(url: str, timeout: float = 30) -> str:
    """The path of the chart the digest put in #lincoln-leaders, once it is there."""
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(
            r'<img src="(/files/F\d+)"',
            channel_html(url, district.LEADERS.id, district.PRINCIPAL.id),
        )
        if found or time.monotonic() > deadline:
            assert found, "no chart in #lincoln-leaders"
            return found.group(1)
        time.sleep(0.2)  # the app's scheduler drawing and uploading it


def served(url: str, path: str) -> bytes:
    with urllib.request.urlopen(url.rstrip("/") + path, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "image/png"
        return bytes(answer.read())


def test_a_restart_keeps_the_workspace_and_fresh_starts_over(tmp_path: Path) -> None:
    first = start_try(tmp_path)
    try:
        seeded = teachers_channel(first.url).count("This week&#39;s next move")
        assert seeded == district.PAST_WEEKS
        data = json.dumps(
            {
                "as": district.TEACHER.id,
                "channel": district.TEACHERS.id,
                "text": "/progression 3.8 share",
            }
        ).encode()
        request = urllib.request.Request(
            f"{first.url}act/command", data, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 204
        assert "Shared by" in teachers_channel(first.url)
        act(first.url, "jump-digest", {"as": district.PRINCIPAL.id})
        chart = leaders_chart(first.url)
        png = served(first.url, chart)
    finally:
        stop_try(first)
    assert (tmp_path / "progression-try.db").exists()

    again = start_try(tmp_path)
    try:
        assert "Shared by" in teachers_channel(again.url)
        assert leaders_chart(again.url, timeout=0) == chart  # the digest's chart, kept
        assert served(again.url, chart) == png
    finally:
        stop_try(again)

    fresh = start_try(tmp_path, "--fresh")
    try:
        html = teachers_channel(fresh.url)
        assert "Shared by" not in html
        assert html.count("This week&#39;s next move") == district.PAST_WEEKS
    finally:
        stop_try(fresh)


def _bindable(host: str) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.bind((host, 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("host", "shown"), [("127.0.0.2", "127.0.0.2"), ("::1", "[::1]"), ("::", "[::1]")]
)
def test_the_app_reaches_the_workspace_on_the_host_it_listens_on(
    tmp_path: Path, host: str, shown: str
) -> None:
    if not _bindable(host):
        pytest.skip(f"{host} cannot be bound on this machine")
    running = start_try(tmp_path, "--host", host)
    try:
        assert running.url.startswith(f"http://{shown}:")
        seeded = teachers_channel(running.url).count("This week&#39;s next move")
        assert seeded == district.PAST_WEEKS  # the app connected and posted its past weeks
    finally:
        stop_try(running)


def test_a_port_in_use_is_one_line_naming_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("try", "--port", str(port), "--no-open", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"progression-bot: --port {port}: could not listen on 127.0.0.1:{port} "
        "(Address already in use): pick another --port"
    ]


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1"])
def test_a_port_out_of_range_is_one_line_naming_the_range(tmp_path: Path, port: str) -> None:
    result = run_cli("try", "--port", port, "--no-open", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"progression-bot: --port {port}: a port is from 1 to 65535"
    ]
    assert not (tmp_path / "progression-try.db").exists()


@pytest.mark.parametrize(
    ("host", "warned"), [("127.0.0.1", False), ("localhost", False), ("0.0.0.0", True)]
)
def test_a_host_other_than_this_machine_is_warned_about(host: str, warned: bool) -> None:
    warning = host_warning(host)
    assert (warning is not None) == warned
    if warning:
        assert "no sign-in" in warning and "demo" in warning


def test_removing_the_app_from_the_workspace_stops_it_there_and_keeps_the_data(
    tmp_path: Path,
) -> None:
    running = start_try(tmp_path)
    try:
        act(running.url, "uninstall", {})  # Slack sends app_uninstalled, then tokens_revoked
        assert f"{TEAM_ID} left: the app was uninstalled" in running.output()
        store = Store(tmp_path / "progression-try.db")
        try:
            assert store.departed_at(TEAM_ID) is not None
            assert store.subscriptions(TEAM_ID), "its data is kept for a reinstall"
            deadline = time.monotonic() + 30
            while store.pending_work("arm"):
                assert time.monotonic() < deadline, running.output()[-3000:]
                time.sleep(0.1)  # the app's runner taking the workspace's jobs away
        finally:
            store.close()
        # No nudge or digest is ahead any more: the workspace's jumps have nowhere to go.
        with urllib.request.urlopen(f"{running.url}fragment/status", timeout=10) as answer:
            status = answer.read().decode()
        assert "No nudges scheduled" in status and "No digest scheduled" in status, status
    finally:
        stop_try(running)
