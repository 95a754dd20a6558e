"""Log lines that stay one line: a value from outside (a user id, Slack's error text) cannot
start a forged line of its own. Human-readable text by default; `PROGRESSION_LOG_FORMAT=json`
writes one JSON object per line for a log pipeline."""

from __future__ import annotations

import logging
import re

from bot.observe.json_logs import JsonFormatter

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


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter of PROGRESSION_LOG_FORMAT: "text" (the default) or "json"."""
    return JsonFormatter() if log_format == "json" else OneLineFormatter(FORMAT)


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """The handler `configure_logging` installs, so that a second call finds it again."""


def configure_logging(level: int = logging.INFO, log_format: str = "text") -> None:
    """One handler on stderr for the root logger; called again (once the settings are read),
    it gives that handler the format asked for. A root logger that already has handlers (a
    test's capture) keeps them, as `logging.basicConfig` does."""
    formatter = formatter_for(log_format)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _OurHandler):
            handler.setFormatter(formatter)
            return
    handler = _OurHandler()
    handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[handler])
