"""Request and response shapes of the review: the trail, a lot's record review and the access review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from batchtrack.audit import schemas as audit_schemas
from batchtrack.web.validation import MAX_DB_INT, LongText, RequestModel, SignerUserId

Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class SignatureOut(BaseModel):
    """A review's signature as the record shows it."""

    printed_name: str
    meaning: str
    signed_at: datetime
    intact: bool


class TrailEntryOut(audit_schemas.AuditEntryContent):
    """An entry of a lot's trail as a review shows it (its hashes are in the audit trail API)."""


class RecordExceptionOut(BaseModel):
    """One exception of a lot's trail: its kind, why it is one, and the entry."""

    kind: str
    why: str
    entry: TrailEntryOut


class RecordReviewOut(BaseModel):
    """One signed review of a lot's record."""

    id: int
    reviewed_through_seq: int
    exceptions: list[int]  # the seq of each exception the review covers
    comment: str
    signature: SignatureOut


class RecordReviewSummary(BaseModel):
    """A lot's record review: the exceptions of its trail, the reviews signed, and whether the latest is current."""

    lot: str
    last_seq: int  # the newest entry of the lot's trail
    exceptions: list[RecordExceptionOut]
    reviews: list[RecordReviewOut]
    reviewed_through_seq: int | None  # the latest review's last entry; None: never reviewed
    outdating: list[RecordExceptionOut]  # exceptions recorded since the latest review that it does not cover
    current: bool  # a review is signed and nothing has made it out of date


class RecordReviewRequest(RequestModel):
    """QA signs the lot's record review (meaning: reviewed) through the entry the page showed last."""

    username: SignerUserId = ""
    password: Password
    comment: LongText = ""
    reviewed_through_seq: int | None = Field(default=None, ge=0, le=MAX_DB_INT,
                                             description="the last entry reviewed; default: the newest of the lot")


class AccessReviewRequest(RequestModel):
    """QA signs the access review of the report as it is now (meaning: reviewed)."""

    username: SignerUserId = ""
    password: Password
    comment: LongText = ""
    accounts_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$",
                                 description="the accounts' hash of the report read (see the report's "
                                             "accounts_sha256); refused if they changed since")


class AccessTokenOut(BaseModel):
    """A token in the access report."""

    name: str
    roles: list[str]
    station: str | None
    expires_at: str | None
    last_used_at: str | None
    state: str


class QualificationOut(BaseModel):
    """A qualification in force in the access report."""

    code: str
    expires_on: str
    expired: bool


class AccessUserOut(BaseModel):
    """One account in the access report."""

    username: str
    full_name: str
    active: bool
    locked: bool
    roles: list[str]
    qualifications: list[QualificationOut]
    last_login_at: str | None
    tokens: list[AccessTokenOut]


class AccessReport(BaseModel):
    """Every account, its roles, qualifications, last sign-in and tokens, as of `generated_at`."""

    generated_at: str
    users: list[AccessUserOut]
    accounts_sha256: str  # SHA-256 of the accounts part: send it back when signing, to sign what was read


class AccessReviewOut(BaseModel):
    """One signed access review."""

    id: int
    report_sha256: str
    users: int
    comment: str
    signature: SignatureOut
