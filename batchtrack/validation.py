"""Input types shared by every schema: bounded, printable text and database-safe integers."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

MAX_DB_INT = 2**63 - 1


def _printable(value: str) -> str:
    # Control characters (NUL above all: PostgreSQL refuses it in text) never belong in a recorded value.
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t":
            raise ValueError("contains a control character")
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\t" in value:
        raise ValueError("must be on one line")
    return value


ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable),
    AfterValidator(_one_line),
]
OptionalShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_printable),
    AfterValidator(_one_line),
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), AfterValidator(_printable)]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_printable),
    AfterValidator(_one_line),
]
RecordId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
