"""The marrow aspirate, identified by its DIN."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class Collection(SQLModel, table=True):
    """One donation (marrow aspirate) of a therapy."""

    id: int | None = Field(default=None, primary_key=True)
    din: str = Field(sa_column=Column(String(13), unique=True, nullable=False))
    therapy_id: int = Field(foreign_key="therapy.id", index=True, ondelete="RESTRICT")
    state: str = Field(default="scheduled", max_length=16, index=True)
    scheduled_for: datetime | None = Field(default=None, sa_type=UTCDateTime)
    collected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    volume_ml: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
