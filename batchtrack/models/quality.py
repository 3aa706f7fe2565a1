"""Quality: specifications (versioned, approved by QA), QC results, release decisions and their co-signatures,
and alerts raised to the clinic."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class SpecificationStatus(StrEnum):
    """A draft becomes effective when QA signs it; the effective version it replaces is superseded."""

    DRAFT = "draft"
    EFFECTIVE = "effective"
    SUPERSEDED = "superseded"


class Specification(SQLModel, table=True):
    """One version of a release specification; `content` is its JSON (the tests, methods, limits, stages)."""

    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, index=True)
    version: int
    title: str = Field(max_length=200)
    status: str = Field(default=SpecificationStatus.DRAFT, max_length=16)
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    approved_signature_id: int | None = Field(default=None, foreign_key="signature.id", ondelete="RESTRICT")
    effective_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ResultStatus(StrEnum):
    """A preliminary result (sterility negative at day N) is followed by a final one."""

    PRELIMINARY = "preliminary"
    FINAL = "final"


class QcResult(SQLModel, table=True):
    """A QC result of one test of a lot's specification. Never overwritten: a correction replaces it."""

    __tablename__ = "qc_result"

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    specification_id: int = Field(foreign_key="specification.id", ondelete="RESTRICT")
    test_code: str = Field(max_length=32)
    sample_container_id: int | None = Field(default=None, foreign_key="container.id", ondelete="RESTRICT")
    value: float | None = None
    result_text: str = Field(default="", max_length=64)
    unit: str = Field(default="", max_length=16)
    status: str = Field(default=ResultStatus.FINAL, max_length=16)
    day: int | None = None
    method: str = Field(max_length=200)
    instrument: str = Field(default="", max_length=64)
    conforms: bool | None = None
    limit_text: str = Field(default="", max_length=200)
    entered_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    replaces_id: int | None = Field(default=None, foreign_key="qc_result.id", unique=True, ondelete="RESTRICT")
    reason: str = Field(default="", max_length=4000)  # LongText


class ReleaseDecisionKind(StrEnum):
    """QA's decision on a lot."""

    RELEASED = "released"
    RELEASED_PENDING_STERILITY = "released_pending_sterility"
    REJECTED = "rejected"


class ReleaseDecision(SQLModel, table=True):
    """QA's signed decision on a lot; one per lot (the database refuses a second)."""

    __tablename__ = "release_decision"

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", unique=True, ondelete="RESTRICT")
    decision: str = Field(max_length=32)
    specification_id: int | None = Field(default=None, foreign_key="specification.id", ondelete="RESTRICT")
    signature_id: int = Field(foreign_key="signature.id", ondelete="RESTRICT")
    decided_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    reason: str = Field(default="", max_length=4000)  # LongText
    conditions: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # the gate's facts, as JSON


class ApprovalRole(StrEnum):
    """Who co-signs a release pending sterility (DESIGN.md section 4)."""

    MEDICAL_DIRECTOR = "medical_director"
    TREATING_PHYSICIAN = "treating_physician"


class ReleaseApproval(SQLModel, table=True):
    """A co-signature a release pending sterility needs: the medical director's and the treating physician's."""

    __tablename__ = "release_approval"
    __table_args__ = (UniqueConstraint("lot_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    role: str = Field(max_length=32)
    signature_id: int = Field(foreign_key="signature.id", ondelete="RESTRICT")
    signed_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    signed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Alert(SQLModel, table=True):
    """An alert to the clinic about a lot (a positive sterility result after release), until acknowledged."""

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    kind: str = Field(max_length=48)
    message: str = Field(sa_column=Column(Text, nullable=False))
    deviation_id: int | None = Field(default=None, foreign_key="deviation.id", ondelete="RESTRICT")
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
