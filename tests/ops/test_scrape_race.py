"""A scrape while gunicorn starts a worker: the worker's metric files exist before they have
their first bytes, and the page must still answer with everyone's counts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT


def test_a_file_a_new_worker_has_only_just_created_does_not_fail_the_scrape(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    # prometheus_client's multiprocess mode is set up per process from the environment: a
    # process of its own, as a gunicorn worker is.
    script = textwrap.dedent(
        f"""
        import os
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = {str(directory)!r}
        from prometheus_client import Counter
        Counter("progression_test_total", "counted by a worker").inc(3)
        open(os.path.join({str(directory)!r}, "counter_99999.db"), "wb").close()  # just made
        from bot.observe.scrape import MetricsPage
        from store import Store
        page, _ = MetricsPage(Store({str(tmp_path / "p.db")!r})).render()
        print(page.decode())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "progression_test_total 3.0" in result.stdout
