"""Logging in every server process: one handler on stderr, text or JSON lines, each with its request id.

`serve --workers N` runs the application in processes of their own, started afresh: what the command configured in
its own process is not there, and without this the application's INFO lines were dropped (Python's last-resort
handler writes warnings and worse only). uvicorn's own loggers are left without handlers of their own (`serve` passes
no logging configuration to uvicorn), so its access and error lines come through this handler too, in the same
format and with the same request id.

The JSON form is a small formatter of our own rather than a library's: it writes a fixed set of fields and never a
record's extra attributes (where a library's message arguments, a patient's name among them, could end up), and it
is one dependency fewer to validate and pin.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

from batchtrack.observability import request_id
from batchtrack.web import log_privacy

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, request id, message, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", request_id.NONE),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


def formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter for the configured format."""
    return JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(*, level: str, log_format: LogFormat) -> None:
    """Send every logger's records to stderr in `log_format`, at `level` (Alembic's chatter kept at warnings).

    Replaces the root logger's handlers: called once as a server process starts, in the process that serves.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(request_id.OnLogRecords())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # Through the root handler above: same format, same request id.
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    log_privacy.install()
