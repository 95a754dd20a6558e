"""The data file and the source documents are read alike, and refused alike when they cannot be."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from progression.importer import DocumentError, import_files
from progression.load import ProgressionFileError, load_progression

READERS = [
    pytest.param(load_progression, ProgressionFileError, "data file", id="data file"),
    pytest.param(lambda path: import_files([path]), DocumentError, "document", id="document"),
]


@pytest.mark.parametrize(("read", "error", "what"), READERS)
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: None, "{path}: no such file"),
        (lambda path: path.mkdir(), "{path}: is a directory, not a {what}"),
        (
            lambda path: path.write_bytes(b"\xff broken"),
            "{path}: not UTF-8 text (invalid start byte)",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_naming_it_and_why(
    read: Callable[[Path], object],
    error: type[Exception],
    what: str,
    make: Callable[[Path], None],
    message: str,
    tmp_path: Path,
) -> None:
    path = tmp_path / "custom"
    make(path)
    with pytest.raises(error) as refused:
        read(path)
    assert str(refused.value) == message.format(path=path, what=what)
