"""Log lines as text or as JSON, each with its request id and nothing but the fields named."""

from __future__ import annotations

import json
import logging
import sys

from batchtrack.observability import log_setup, request_id


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    record = logging.LogRecord("batchtrack.lots", logging.INFO, __file__, 1, message, args,
                               sys.exc_info() if exc else None)
    record.request_id = "req-1"
    record.patient_name = "Hong Gildong"  # an extra attribute: never written
    return record


def test_a_json_line_holds_time_level_logger_request_id_and_message() -> None:
    line = log_setup.formatter("json").format(_record("lot %s released", "W000026000001"))
    assert "\n" not in line
    fields = json.loads(line)
    assert fields.keys() == {"time", "level", "logger", "request_id", "message"}
    assert fields["level"] == "INFO" and fields["logger"] == "batchtrack.lots" and fields["request_id"] == "req-1"
    assert fields["message"] == "lot W000026000001 released" and fields["time"].endswith("+00:00")
    assert "Hong Gildong" not in line


def test_a_json_line_carries_its_traceback_in_one_field() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        line = log_setup.formatter("json").format(_record("failed", exc=True))
    fields = json.loads(line)
    assert "\n" not in line and "ValueError: broken" in fields["exception"]


def test_a_text_line_names_the_request_id() -> None:
    line = log_setup.formatter("text").format(_record("lot %s released", "W000026000001"))
    assert line.endswith("INFO batchtrack.lots [req-1]: lot W000026000001 released")


def test_configure_sends_uvicorns_lines_through_the_same_handler() -> None:
    root = logging.getLogger()
    before = (root.handlers[:], root.level)
    try:
        log_setup.configure(level="info", log_format="json")
        assert len(root.handlers) == 1 and isinstance(root.handlers[0].formatter, log_setup.JsonLines)
        assert any(isinstance(f, request_id.OnLogRecords) for f in root.handlers[0].filters)
        for name in ("uvicorn.error", "uvicorn.access"):
            assert logging.getLogger(name).handlers == [] and logging.getLogger(name).propagate
    finally:
        root.handlers[:], root.level = before
