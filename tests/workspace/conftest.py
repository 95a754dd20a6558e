"""`progression-bot try` running in its own process, and a headless Chromium to use it with."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, stop_process

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class TryProcess:
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)


def start_try(workdir: Path, *args: str, timeout: float = 90) -> TryProcess:
    """`progression-bot try --no-open` as a newcomer runs it, once its URL is printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROGRESSION_"))}
    env["PYTHONUNBUFFERED"] = "1"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "try", "--port", str(port), "--no-open", *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = TryProcess(process, "")
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line)
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            process.kill()
            raise RuntimeError(f"try did not start:\n{running.output()}") from None
        if not line:
            raise RuntimeError(f"try exited {process.wait()}:\n{running.output()}")
        if line.startswith("Local workspace: "):
            running.url = line.removeprefix("Local workspace: ").strip()
            return running


def stop_try(running: TryProcess) -> None:
    stop_process(running.process)
    if running.process.stdout is not None:
        running.process.stdout.close()


@pytest.fixture(scope="module")
def local_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TryProcess]:
    running = start_try(tmp_path_factory.mktemp("try"))
    yield running
    stop_try(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


SCREENSHOT = ROOT / "docs" / "workspace.png"
DIGEST_SCREENSHOT = ROOT / "docs" / "digest.png"
