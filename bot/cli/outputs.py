"""Where the CLI writes: an `--out` file checked before any work, and a failing standard output
(a full disk, a reader that went away) reported in one line rather than a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, cast

from bot.cli.errors import CliError


def check_out_file(path: Path, option: str = "--out", *, replaces: bool = False) -> None:
    """Refuse an output file that cannot be written, before the command does its work.

    `replaces`: the command writes a new file beside `path` and renames it over `path`, so the
    folder must be writable, and `path` must be a regular file (never a device).
    """
    folder = path.absolute().parent
    if path.is_dir():
        raise CliError(f"{option} {path}: is a folder; name a file in it, such as {path / 'out'}")
    if not folder.exists():
        raise CliError(f"{option} {path}: the folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise CliError(f"{option} {path}: {folder} is not a folder")
    if replaces and path.exists() and not path.is_file():
        raise CliError(f"{option} {path}: is not a regular file; name a file to write")
    if path.exists() and not os.access(path, os.W_OK):
        raise CliError(f"{option} {path}: the file is read-only for this user")
    if (replaces or not path.exists()) and not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(
            f"{option} {path}: this user cannot write in {folder}; choose another folder"
        )


def write_failed(path: Path, error: OSError, option: str = "--out") -> CliError:
    """The one line for a write that failed part way (a full disk, a quota)."""
    return CliError(f"{option} {path}: could not be written ({error.strerror or error})")


# The exit status of a command whose reader went away (128 + SIGPIPE), as the shell reports it.
READER_GONE = 141


@contextmanager
def stdout_reported() -> Iterator[None]:
    """Run a command that prints; a standard output that cannot take it ends in one line."""
    stream = sys.stdout
    sys.stdout = cast(TextIO, _Stdout(stream))
    try:
        yield
        sys.stdout.flush()
    except _StdoutFailed as failed:
        _discard_stdout(stream)
        if isinstance(failed.error, BrokenPipeError):
            # The reader stopped reading (`| head`): nothing to report, as with any Unix tool.
            raise SystemExit(READER_GONE) from None
        raise CliError(
            f"standard output could not be written ({failed.error.strerror or failed.error}); "
            "free some space, or write elsewhere"
        ) from None
    finally:
        sys.stdout = stream


class _StdoutFailed(Exception):
    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Stdout:
    """Standard output, whose write errors are told apart from any other OSError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise _StdoutFailed(error) from error

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise _StdoutFailed(error) from error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _discard_stdout(stream: TextIO) -> None:
    # What is still buffered would fail again when Python flushes it at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)
