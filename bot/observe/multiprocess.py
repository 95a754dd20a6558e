"""prometheus_client's multiprocess mode for `serve --http`: gunicorn's web workers and the
runner beside them each write their counts to files in one directory, and `GET /metrics`, on
whichever worker answers it, sums them.

The directory is `PROMETHEUS_MULTIPROC_DIR` when the operator set it (systemd's
`RuntimeDirectory=`, say), else a new temporary one; either way it is emptied of
prometheus_client's files when `serve` starts, so counts from a previous run never mix in, and
it must be chosen before prometheus_client is first imported (the library decides at import
whether it counts in files), which is why nothing of this package imports it at module level.
A worker or runner that exits is marked dead, so the gauges that show live processes only
(`livemax`) forget it; its counters stay in the sums, as Prometheus expects of a counter.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("progression_bot")

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class MetricsDirectory:
    path: Path
    made_here: bool  # a temporary directory, removed at exit

    def remove_if_made_here(self) -> None:
        if self.made_here:
            shutil.rmtree(self.path, ignore_errors=True)


def use_directory() -> MetricsDirectory:
    """Choose and empty the directory, for this process and every process it starts."""
    chosen = os.environ.get(DIRECTORY_VARIABLE, "").strip()
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob("*.db"):  # prometheus_client's files, nothing else
            leftover.unlink()
    else:
        directory = Path(tempfile.mkdtemp(prefix="progression-bot-metrics-"))
    os.environ[DIRECTORY_VARIABLE] = str(directory)
    return MetricsDirectory(directory, made_here=not chosen)


def in_use() -> bool:
    return bool(os.environ.get(DIRECTORY_VARIABLE))


def mark_dead(pid: int) -> None:
    """A worker or runner process exited: its live gauges go."""
    if not in_use():
        return
    from prometheus_client import multiprocess

    try:
        multiprocess.mark_process_dead(pid)
    except OSError as error:
        logger.warning("Could not mark process %d's metrics dead: %s", pid, error)
