"""CSV lines for the review's exports, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

# A cell a spreadsheet would run as a formula: the records hold what people typed.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value as a cell: a time in ISO 8601, a text that starts like a formula prefixed with an apostrophe."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def line(values: Iterable[object]) -> str:
    """One CSV line (with its line end) of the cells."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell(v) for v in values])
    return buffer.getvalue()
