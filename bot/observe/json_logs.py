"""`PROGRESSION_LOG_FORMAT=json`: one JSON object per log line, for a log pipeline."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from bot.observe.request_context import current_request


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the
    request's `workspace` and `request_kind` while one is being answered; a traceback is the
    `exception` field, inside the same line. The message is the one the text line carries,
    so the same rule holds: never a request body or a token."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current_request()
        if request.workspace is not None:
            line["workspace"] = request.workspace
        if request.kind is not None:
            line["request_kind"] = request.kind
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii: U+2028 and the like are escaped too, so no reader splits the line.
        return json.dumps(line, ensure_ascii=True, default=str)
