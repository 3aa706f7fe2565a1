"""Deviations: opened on a lot (by a person or by an out-of-limit value), closed by QA with a signature."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class DeviationState(StrEnum):
    """Open deviations hold the lot; only QA closes one."""

    OPEN = "open"
    CLOSED = "closed"


class DeviationOrigin(StrEnum):
    """What opened the deviation."""

    MANUAL = "manual"
    OUT_OF_LIMIT = "out_of_limit"
    BEDSIDE_CHECK = "bedside_check"  # a bedside identity check refused the infusion


class Deviation(SQLModel, table=True):
    """One deviation on one lot, from a step or from the lot as a whole."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=Column(String(20), unique=True, nullable=False))
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    step_id: int | None = Field(default=None, foreign_key="process_step.id", ondelete="RESTRICT")
    origin: str = Field(default=DeviationOrigin.MANUAL, max_length=16)
    state: str = Field(default=DeviationState.OPEN, max_length=16, index=True)
    description: str = Field(sa_column=Column(Text, nullable=False))
    impact: str = Field(default="", sa_column=Column(Text, nullable=False))
    opened_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closure: str = Field(default="", sa_column=Column(Text, nullable=False))
    closed_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_signature_id: int | None = Field(default=None, foreign_key="signature.id", ondelete="RESTRICT")
