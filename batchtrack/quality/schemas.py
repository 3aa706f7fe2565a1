"""Request and response shapes for release specifications and QC results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field, JsonValue, StringConstraints

from batchtrack.web.validation import MAX_DB_INT, LongText, OptionalShortText, RequestModel, SignerUserId

SPEC_CODE_PATTERN = r"^[A-Z0-9-]{2,32}$"
TEST_CODE_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
SpecCodePath = Annotated[str, Path(pattern=SPEC_CODE_PATTERN, description="specification code, e.g. MSC-FP")]
VersionPath = Annotated[int, Path(ge=1, le=1_000_000, description="specification version")]
ResultIdPath = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="QC result id")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
TestCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=TEST_CODE_PATTERN)]
Scan = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
OptionalScan = Annotated[str, StringConstraints(max_length=4096)]
Measured = Annotated[float, Field(allow_inf_nan=False)]
InstrumentCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20,
                                                  pattern=r"^[A-Za-z0-9 ._-]*$")]
Day = Annotated[int, Field(ge=0, le=365)]


def _at_most_64(value: str) -> str:
    # The result column holds 64 characters; OptionalShortText alone allows 200.
    if len(value) > 64:
        raise ValueError("must be at most 64 characters")
    return value


ResultText = Annotated[OptionalShortText, AfterValidator(_at_most_64)]


class SpecificationDraft(RequestModel):
    """A new version of a specification, whole: code, the next version number, title and every test.

    The tests are checked against the specification's rules when the draft is stored (each problem named).
    """

    code: Annotated[str, StringConstraints(max_length=32)]
    version: Annotated[int, Field(ge=1, le=1_000_000)]
    title: Annotated[str, StringConstraints(max_length=200)]
    tests: Annotated[list[dict[str, JsonValue]], Field(max_length=200)]


class DefaultDraft(RequestModel):
    """Store the specification shipped with batchtrack (by its code) as a draft for QA to review."""

    code: Annotated[str, StringConstraints(pattern=SPEC_CODE_PATTERN)]


class SpecificationApproval(RequestModel):
    """QA's approval of a draft: the password re-entered (meaning: approved)."""

    username: SignerUserId = ""
    password: Password


class QcResultCreate(RequestModel):
    """A QC result: the sample's label as scanned, the test, and a number and/or a word."""

    scan: Scan = Field(description="the QC sample's label as the scanner read it (DIN and flag)")
    test_code: TestCode
    value: Measured | None = None
    result_text: ResultText = Field(default="", description="a word of a qualitative test, or 'below LOQ'")
    status: Literal["preliminary", "final"] = "final"
    day: Day | None = Field(default=None, description="the day a preliminary result was read")
    method: OptionalShortText = Field(default="", description="empty: the specification's method")
    instrument: InstrumentCode = Field(default="", description="equipment code of the instrument, if any")


class QcResultCorrection(RequestModel):
    """A correction of a recorded result: a new result that replaces it, with the reason (required)."""

    value: Measured | None = None
    result_text: ResultText = ""
    method: OptionalShortText = Field(default="", description="empty: the corrected result's method")
    instrument: InstrumentCode = Field(default="", description="empty: the corrected result's instrument")
    scan: OptionalScan = Field(default="", description="another sample of the lot, if the wrong one was named")
    reason: LongText = ""


class SignaturePublic(BaseModel):
    """An electronic signature as the record shows it."""

    printed_name: str
    meaning: str
    signed_at: datetime
    intact: bool


class SpecTestPublic(BaseModel):
    """One test of a specification, with its limit as the specification states it."""

    code: str
    title: str
    stage: str
    method: str
    kind: str
    unit: str
    limit: str
    final_after_days: int | None


class SpecificationSummary(BaseModel):
    """A specification version in a list."""

    code: str
    version: int
    title: str
    status: str
    tests: int
    created_by: str
    created_at: datetime
    effective_at: datetime | None


class SpecificationPublic(SpecificationSummary):
    """A specification version: its tests, its stored content, and QA's approval."""

    test_list: list[SpecTestPublic]
    content: dict[str, Any]
    approval: SignaturePublic | None


class QcResultPublic(BaseModel):
    """A recorded QC result, as every role may see it."""

    id: int
    test_code: str
    status: str
    day: int | None
    value: float | None
    result_text: str
    unit: str
    method: str
    instrument: str
    conforms: bool | None
    limit_text: str
    sample: str | None
    entered_by: str
    entered_at: datetime
    replaces_id: int | None
    replaced_by_id: int | None
    reason: str


class QcResultRecorded(BaseModel):
    """What recording a result did: the result, and the deviation and alert it raised, if any."""

    message: str
    result: QcResultPublic
    deviation_number: str | None
    alert_id: int | None


class TestResults(BaseModel):
    """One test of the lot's specification: its limit for this lot, its result in force, and its history."""

    code: str
    title: str
    stage: str
    kind: str
    method: str
    unit: str
    limit: str
    final_after_days: int | None
    results: list[str] = Field(description="the words a qualitative test takes")
    in_force: QcResultPublic | None
    history: list[QcResultPublic] = Field(description="every result of the test, oldest first")


class ContextPublic(BaseModel):
    """What the recipient-dependent limits of the lot are computed from (None: not recorded)."""

    weight_kg: float | None
    volume_ml: float | None
    prescribed_cells_per_kg: float | None
    dose_tolerance_percent: float | None


class AlertPublic(BaseModel):
    """An alert raised to the clinic about the lot."""

    id: int
    kind: str
    message: str
    deviation_number: str | None
    raised_at: datetime
    acknowledged_at: datetime | None


class LotQcPublic(BaseModel):
    """A lot's QC: the specification version it is tested against and where each test stands."""

    lot_din: str
    lot_state: str
    therapy_coi: str
    specification: SpecificationSummary | None
    context: ContextPublic
    tests: list[TestResults]
    alerts: list[AlertPublic]
