"""Input types shared by every schema: bounded, printable text and database-safe integers."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

MAX_DB_INT = 2**63 - 1


def _printable(value: str) -> str:
    # Control characters (NUL above all: PostgreSQL refuses it in text) never belong in a recorded value.
    # Browsers send a textarea's line breaks as CRLF: they are kept as plain line breaks.
    value = value.replace("\r\n", "\n")
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


def _has_utc_equivalent(value: datetime) -> datetime:
    # Near the ends of the calendar (year 1 east of UTC, year 9999 west of it) a time has no UTC equivalent: it
    # could be neither stored nor compared, so it is malformed input, not a server error.
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is outside the times that can be recorded (years 1 to 9999 in UTC)") from exc
    return value


# A date and time with its UTC offset, that has a UTC equivalent.
AwareTime = Annotated[AwareDatetime, AfterValidator(_has_utc_equivalent)]


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused, so a misspelt field is never ignored."""

    model_config = ConfigDict(extra="forbid")


# Identifiers in URLs are canonical (no spaces, no check character): search pages accept the lenient forms.
DIN_PATTERN = r"^[A-NP-Z1-9][0-9]{12}$"
COI_PATTERN = r"^CH[A-NP-Z1-9][0-9]{6}[0-9A-Z]{6}$"
TRANSITION_PATTERN = r"^[a-z_]{1,40}$"
DinPath = Annotated[str, Path(pattern=DIN_PATTERN, description="13-character DIN, without check character")]
CoiPath = Annotated[str, Path(pattern=COI_PATTERN, description="15-character COI identifier")]
TransitionName = Annotated[str, Path(pattern=TRANSITION_PATTERN, description="transition name")]
SUBJECT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
SubjectCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SUBJECT_PATTERN)]
SubjectPath = Annotated[str, Path(pattern=SUBJECT_PATTERN, description="subject code")]
StationName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 ._:-]+$")
]
