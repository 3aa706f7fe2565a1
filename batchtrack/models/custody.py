"""Custody events: who handed what to whom, when and where. Append-only."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class CustodyEvent(SQLModel, table=True):
    """One hand-over of a container; never updated or deleted (a database trigger refuses it)."""

    __tablename__ = "custody_event"

    id: int | None = Field(default=None, primary_key=True)
    container_id: int = Field(foreign_key="container.id", index=True, ondelete="RESTRICT")
    therapy_id: int = Field(foreign_key="therapy.id", index=True, ondelete="RESTRICT")
    handed_over_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    received_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    location: str = Field(max_length=200)
    temperature_c: float | None = None
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    note: str = Field(default="", max_length=500)
