"""Label print control: print jobs and the physical labels they produced."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class LabelStatus(StrEnum):
    """Where a printed label is: every printed label must end applied, voided or destroyed."""

    PRINTED = "printed"
    APPLIED = "applied"
    VOIDED = "voided"
    DESTROYED = "destroyed"


class LabelPrint(SQLModel, table=True):
    """One print job: which template and version, who, when, on which printer, how many, and why if a reprint."""

    __tablename__ = "label_print"

    id: int | None = Field(default=None, primary_key=True)
    therapy_id: int = Field(foreign_key="therapy.id", index=True, ondelete="RESTRICT")
    template_kind: str = Field(max_length=32)
    template_version: int
    output_format: str = Field(max_length=8)
    printer: str = Field(default="", max_length=200)
    copies: int = 1
    is_reprint: bool = False
    reprint_reason: str = Field(default="", max_length=4000)  # LongText
    printed_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    printed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Label(SQLModel, table=True):
    """One physical label for one container, with the exact data its barcodes encode."""

    # The worklists find the labels still to reconcile: printed, or applied without a verifying scan.
    __table_args__ = (Index("ix_label_status_verified_at", "status", "verified_at"),)

    id: int | None = Field(default=None, primary_key=True)
    print_id: int = Field(foreign_key="label_print.id", index=True, ondelete="RESTRICT")
    container_id: int = Field(foreign_key="container.id", index=True, ondelete="RESTRICT")
    barcode_data: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=LabelStatus.PRINTED, max_length=16, index=True)
    applied_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_reason: str = Field(default="", max_length=4000)  # LongText
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
