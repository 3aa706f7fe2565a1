"""Request and response shapes for qualifications, grants, revocations and the training matrix."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, StringConstraints

from batchtrack.web.validation import IsoDate, RequestModel, SignerUserId

Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


def _code_form(value: object) -> object:
    # A code is read as printed in the catalogue: surrounding spaces and letter case do not matter.
    return value.strip().upper() if isinstance(value, str) else value


QualificationCode = Annotated[str, BeforeValidator(_code_form), StringConstraints(pattern=r"^[A-Z0-9-]{2,32}$")]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Standing = Literal["current", "expiring", "expired"]


class QualificationPublic(BaseModel):
    """One qualification of the catalogue, and the activities that need it."""

    code: str
    title: str
    validity_months: int
    activities: list[str]


class GrantCreate(RequestModel):
    """A trainer grants a qualification, signing with their password (and user id, at a session's first
    signature); without `expires_on`, it expires after the qualification's validity."""

    qualification: QualificationCode
    expires_on: IsoDate | None = None
    may_train: bool = False
    note: Note = ""
    username: SignerUserId = ""
    password: Password


class RevokeRequest(RequestModel):
    """QA revokes a grant in force, with the reason, signing with their password."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    username: SignerUserId = ""
    password: Password


class GrantPublic(BaseModel):
    """A grant as recorded."""

    id: int
    holder: str
    qualification: str
    granted_at: datetime
    expires_on: date
    may_train: bool
    trainer: str
    signature_id: int
    note: str


class RevocationPublic(BaseModel):
    """A revocation as recorded."""

    id: int
    grant_id: int
    holder: str
    qualification: str
    revoked_at: datetime
    revoked_by: str
    signature_id: int
    reason: str


class HeldPublic(BaseModel):
    """A qualification a user holds through a grant in force: its expiry and how it stands today."""

    qualification: str
    grant_id: int
    expires_on: date
    standing: Standing
    may_train: bool


class MatrixRow(BaseModel):
    """One person of the training matrix and each qualification they hold."""

    username: str
    full_name: str
    roles: list[str]
    active: bool
    held: list[HeldPublic]
    missing: list[str]  # qualifications their roles need and they do not hold


class TrainingMatrix(BaseModel):
    """Who holds which qualification until when, judged on `today`."""

    today: date
    expiring_within_days: int
    qualifications: list[QualificationPublic]
    rows: list[MatrixRow]
