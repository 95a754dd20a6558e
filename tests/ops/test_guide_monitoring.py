"""docs/deploying.md's monitoring holds: its nginx server block passes /readyz on and never
/metrics (which the app answers to loopback, as every request from nginx is), and the guide's
loopback checks answer as it says."""

from __future__ import annotations

import shlex
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import RunningApp
from tests.test_deploying import GUIDE, NGINX_BLOCK, app, nginx, place

__all__ = ["app", "nginx", "place"]  # the guide's fixtures: the app behind its nginx block


def test_nginx_passes_readyz_on_and_not_metrics(
    nginx: tuple[int, int, Path], app: RunningApp
) -> None:
    https_port, _, cert = nginx
    tls = ssl.create_default_context(cafile=str(cert))
    base = f"https://127.0.0.1:{https_port}"
    deadline = time.monotonic() + 30
    while True:  # ready once the runner beside the workers holds the lease
        try:
            with urllib.request.urlopen(base + "/readyz", context=tls, timeout=5) as ready:
                assert ready.read() == b"ready\n"
                break
        except urllib.error.HTTPError as error:
            error.close()
            assert error.code == 503 and time.monotonic() < deadline
            time.sleep(0.1)  # another process's start, not a schedule
    with pytest.raises(urllib.error.HTTPError) as hidden:
        urllib.request.urlopen(base + "/metrics", context=tls, timeout=5)
    assert hidden.value.code == 404
    hidden.value.close()
    # The app itself answers it to loopback.
    with urllib.request.urlopen(app.url + "/metrics", timeout=5) as page:
        assert b"progression_build_info" in page.read()


def test_the_block_and_the_guide_agree() -> None:
    block = NGINX_BLOCK.read_text()
    assert "location = /readyz {" in block and "location = /readyz {" in GUIDE
    assert "location = /metrics" not in block


def test_the_guides_loopback_checks(app: RunningApp) -> None:
    port = app.url.rsplit(":", 1)[1]
    for path, says in (("/healthz", "ok\n"), ("/readyz", "ready\n")):
        [line] = [
            entry.strip()
            for entry in GUIDE.splitlines()
            if entry.strip() == f"curl -fsS http://127.0.0.1:3000{path}"
        ]
        command = shlex.split(line.replace(":3000", f":{port}"))
        deadline = time.monotonic() + 30
        while True:
            ran = subprocess.run(command, capture_output=True, text=True, timeout=30)
            if ran.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # readiness of another process
        assert ran.returncode == 0 and ran.stdout == says, ran.stderr
