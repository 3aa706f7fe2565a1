"""Record reviews: a lot's record reviewed by exception before release, and the periodic access review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime


class LotRecordReview(SQLModel, table=True):
    """QA's signed review of a lot's audit trail by exception, through one audit entry (`reviewed_through_seq`).

    Written once, never changed: a later review of the same lot is a new row.
    """

    __tablename__ = "lot_record_review"

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    reviewed_through_seq: int
    # The seq of every exception the reviewer was shown, as a JSON array: what the signature covers.
    exception_seqs: str = Field(sa_column=Column(Text, nullable=False))
    comment: str = Field(sa_column=Column(Text, nullable=False))
    signature_id: int = Field(foreign_key="signature.id", unique=True, ondelete="RESTRICT")
    reviewed_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    reviewed_at: datetime = Field(sa_type=UTCDateTime)


class AccessReview(SQLModel, table=True):
    """QA's signed periodic review of who has access: the report as it was shown, and its SHA-256."""

    __tablename__ = "access_review"

    id: int | None = Field(default=None, primary_key=True)
    report: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    report_hash: str = Field(sa_column=Column(String(64), nullable=False))
    comment: str = Field(sa_column=Column(Text, nullable=False))
    signature_id: int = Field(foreign_key="signature.id", unique=True, ondelete="RESTRICT")
    reviewed_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    reviewed_at: datetime = Field(sa_type=UTCDateTime)
