"""The therapy: the chain-of-identity record of one recipient's course of treatment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class Therapy(SQLModel, table=True):
    """One COI identifier linking every collection, lot, container and infusion of a course."""

    id: int | None = Field(default=None, primary_key=True)
    coi: str = Field(sa_column=Column(String(15), unique=True, nullable=False))
    recipient_id: int = Field(foreign_key="recipient.id", index=True, ondelete="RESTRICT")
    donor_id: int = Field(foreign_key="donor.id", index=True, ondelete="RESTRICT")
    product_code: str = Field(max_length=16)
    prescribed_cells_per_kg: float | None = None
    state: str = Field(default="open", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
