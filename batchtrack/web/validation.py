"""Input types shared by every schema: bounded, printable text and database-safe integers."""

from __future__ import annotations

import re
import types
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Form, Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    StringConstraints,
)

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
# The user id a signer types next to their password (21 CFR 11.200(a)(1)); empty when not typed. Compared with the
# signer's user name, never stored as sent.
SignerUserId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
# The same field on a page's signature form (see the `signature_fields` macro).
SignerUserIdForm = Annotated[str, Form(max_length=64)]


def _has_utc_equivalent(value: datetime) -> datetime:
    # Near the ends of the calendar (year 1 east of UTC, year 9999 west of it) a time has no UTC equivalent: it
    # could be neither stored nor compared, so it is malformed input, not a server error.
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is outside the times that can be recorded (years 1 to 9999 in UTC)") from exc
    return value


# Lax parsing reads a number (or a string of digits) as seconds since 1970: `0` would become 1970-01-01.
# A date or a time is taken only as ISO 8601 text (or, from the pages, as the date or time already parsed).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)


def _iso_date_text(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be an ISO 8601 date written as text, YYYY-MM-DD")
    return value


def _iso_time_text(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_TIME.fullmatch(value):
        raise ValueError("must be an ISO 8601 date and time written as text, with its UTC offset "
                         "(YYYY-MM-DDThh:mm:ss+09:00)")
    return value


# A calendar date (date of birth, visit, consent), given as ISO 8601 text.
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
# A date and time with its UTC offset, given as ISO 8601 text, that has a UTC equivalent.
AwareTime = Annotated[AwareDatetime, BeforeValidator(_iso_time_text), AfterValidator(_has_utc_equivalent)]
_TIME_GUARDS = (_iso_date_text, _iso_time_text)
# Every type pydantic would read a number into as a date or a time (pydantic's own are not subclasses of date).
_TIME_TYPES = (date, time, AwareDatetime, NaiveDatetime, PastDate, FutureDate, PastDatetime, FutureDatetime)


def _unguarded_time(annotation: Any, metadata: list[Any]) -> bool:
    """True when a date or a time in `annotation` would be parsed leniently (not through IsoDate or AwareTime)."""
    if get_origin(annotation) is Annotated:
        inner, *more = get_args(annotation)
        return _unguarded_time(inner, [*metadata, *more])
    if isinstance(annotation, type) and issubclass(annotation, _TIME_TYPES):
        return not any(isinstance(m, BeforeValidator) and m.func in _TIME_GUARDS for m in metadata)
    if get_origin(annotation) in (Union, types.UnionType, list, tuple, set, frozenset, dict):
        return any(_unguarded_time(arg, []) for arg in get_args(annotation))
    return False


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused, so a misspelt field is never ignored."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse, when the schema is defined, a date or time field that would take a number as a date."""
        super().__pydantic_init_subclass__(**kwargs)
        for name, info in cls.model_fields.items():
            if _unguarded_time(info.annotation, list(info.metadata)):
                raise TypeError(f"{cls.__name__}.{name}: a date or time of a request is an IsoDate or an AwareTime "
                                "(batchtrack.web.validation), so that a number is never read as a date")


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
