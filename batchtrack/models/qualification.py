"""Qualifications: what each step, test method, decision and check needs, and who holds it until when.

Both tables are written once and never changed (the database refuses an update or a delete): a qualification is
granted by a row, retraining grants it again with a new expiry, and a revocation is a row naming the grant it ends.
Who holds what now is derived from them (`batchtrack.qualifications.service.held_by`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class QualificationGrant(SQLModel, table=True):
    """A qualification granted to a user by a trainer's signature, valid until (not including) `expires_on`."""

    __tablename__ = "qualification_grant"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="RESTRICT")
    qualification: str = Field(max_length=32)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_on: date
    # The holder may grant this qualification to others (QA always may).
    may_train: bool = False
    trainer_id: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    signature_id: int = Field(foreign_key="signature.id", ondelete="RESTRICT")
    note: str = Field(default="", max_length=500)


class QualificationRevocation(SQLModel, table=True):
    """The end of a grant before its expiry, signed by QA with the reason."""

    __tablename__ = "qualification_revocation"

    id: int | None = Field(default=None, primary_key=True)
    # One revocation per grant: the unique key keeps two QA people from revoking the same grant twice.
    grant_id: int = Field(sa_column=Column(Integer, ForeignKey("qualification_grant.id", ondelete="RESTRICT"),
                                            unique=True, nullable=False))
    revoked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    signature_id: int = Field(foreign_key="signature.id", ondelete="RESTRICT")
    reason: str = Field(max_length=500)
