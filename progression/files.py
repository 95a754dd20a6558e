"""Reading a file a person named: the data file, or a source document to import."""

from __future__ import annotations

from pathlib import Path


def read_text(path: Path, error: type[Exception], what: str) -> str:
    """The file's UTF-8 text, a byte-order mark dropped; else `error`, with a message that
    names the file and why it could not be read (`what` it should be: "data file")."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}") from None
    except UnicodeDecodeError as failure:
        raise error(f"{path}: not UTF-8 text ({failure.reason})") from None
    except OSError as failure:
        raise error(f"{path}: could not be read ({failure.strerror})") from None
