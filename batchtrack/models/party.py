"""Recipients (who hold patient identity) and donors."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class DonorKind(StrEnum):
    """Autologous: the donor is the recipient. Directed: an allogeneic donor for one named recipient."""

    AUTOLOGOUS = "autologous"
    DIRECTED = "directed"


class Recipient(SQLModel, table=True):
    """The patient: the only place a name, date of birth or medical record number is kept."""

    id: int | None = Field(default=None, primary_key=True)
    subject_code: str = Field(sa_column=Column(String(32), unique=True, nullable=False))
    # The name as the person writes it (Hangul at the first site), and its romanised form (Revised Romanization,
    # suggested and editable; "" where none was recorded).
    family_name: str = Field(max_length=200)  # ShortText
    given_name: str = Field(max_length=200)
    family_name_latin: str = Field(default="", max_length=200)
    given_name_latin: str = Field(default="", max_length=200)
    date_of_birth: date
    mrn: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    sex: str = Field(default="unknown", max_length=8)
    protocol_id: str = Field(default="", max_length=32)
    indication: str = Field(default="", max_length=16)
    consent_date: date | None = None
    consent_withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consent_withdrawal_reason: str = Field(default="", max_length=4000)  # LongText
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Donor(SQLModel, table=True):
    """The source of the cells: the recipient themself (autologous, `recipient_id`), or a separate person
    donating for one named recipient (directed, `directed_to_id`)."""

    id: int | None = Field(default=None, primary_key=True)
    donor_code: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    kind: str = Field(max_length=16)
    recipient_id: int | None = Field(default=None, foreign_key="recipient.id", ondelete="RESTRICT")
    directed_to_id: int | None = Field(default=None, foreign_key="recipient.id", index=True, ondelete="RESTRICT")
    # A directed donor's name as written and romanised; None for an autologous donor (the recipient's name).
    family_name: str | None = Field(default=None, max_length=200)
    given_name: str | None = Field(default=None, max_length=200)
    family_name_latin: str | None = Field(default=None, max_length=200)
    given_name_latin: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    hla_match: str = Field(default="", max_length=200)
    eligibility: str | None = Field(default=None, max_length=16)
    eligibility_recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
