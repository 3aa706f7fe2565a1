"""Enrolment records of a recipient: allergies, weights at visits, and signed eligibility assessments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class Allergy(SQLModel, table=True):
    """A recorded hypersensitivity of a recipient (penicillin and streptomycin matter to this product)."""

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="recipient.id", index=True, ondelete="RESTRICT")
    substance: str = Field(max_length=200)
    reaction: str = Field(default="", max_length=200)
    recorded_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WeightRecord(SQLModel, table=True):
    """A recipient's weight measured at a dated visit (the dose is prescribed per kilogram)."""

    __tablename__ = "weight_record"

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="recipient.id", index=True, ondelete="RESTRICT")
    visit_date: date
    weight_kg: float
    recorded_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EligibilityAssessment(SQLModel, table=True):
    """The investigator's signed answers to every criterion of the protocol, and the outcome."""

    __tablename__ = "eligibility_assessment"

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="recipient.id", index=True, ondelete="RESTRICT")
    protocol_id: str = Field(max_length=32)
    protocol_version: int
    answers: str = Field(sa_column=Column(Text, nullable=False))
    eligible: bool
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    assessed_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    assessed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    signature_id: int = Field(foreign_key="signature.id", ondelete="RESTRICT")
