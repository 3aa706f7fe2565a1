"""The marrow aspirate, identified by its DIN."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class Collection(SQLModel, table=True):
    """One donation (marrow aspirate) of a therapy."""

    id: int | None = Field(default=None, primary_key=True)
    din: str = Field(sa_column=Column(String(13), unique=True, nullable=False))
    therapy_id: int = Field(foreign_key="therapy.id", index=True, ondelete="RESTRICT")
    state: str = Field(default="scheduled", max_length=16, index=True)
    scheduled_for: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    collected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    volume_ml: float | None = None
    anticoagulant: str = Field(default="", max_length=200)
    site: str = Field(default="", max_length=200)
    collector_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReceiptRecord(SQLModel, table=True):
    """The lab's receipt of an aspirate bag: what was measured and inspected, and the decision taken."""

    __tablename__ = "receipt_record"

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = Field(foreign_key="collection.id", index=True, ondelete="RESTRICT")
    decision: str = Field(max_length=16)
    temperature_c: float
    hours_since_collection: float
    checklist: str = Field(sa_column=Column(Text, nullable=False))
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    note: str = Field(default="", max_length=4000)  # the receipt's reason (LongText)
    received_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
