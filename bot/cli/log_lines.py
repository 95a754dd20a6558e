"""Log lines that stay one line: a value from outside (a user id, Slack's error text) cannot
start a forged line of its own."""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Line breaks and other control characters, including Unicode's line and paragraph separators.
_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class OneLineFormatter(logging.Formatter):
    """The message on one line; a traceback, which is ours, still follows on its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _BREAKING.sub(_escaped, record.message)
        return super().formatMessage(record)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
