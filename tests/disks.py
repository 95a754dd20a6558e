"""A disk that fills: a small tmpfs mounted for the test (as root), and a file that takes every
byte left on it."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(place: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `place` (skips without root), gone afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a disk that fills is a tmpfs mounted for the test: that needs root")
    place.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(place)], check=True)
    try:
        yield place
    finally:
        # Detached now, freed once the last file on it is closed (a store's lock file for
        # its writers' turns stays open as long as this process).
        subprocess.run(["umount", "--lazy", str(place)], check=True)


def fill(disk: Path) -> Path:
    """A file that takes every byte left on `disk`; delete it to free them."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(fd)
    return filler
