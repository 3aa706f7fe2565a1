"""The manufacturing batch record: workstations, executed process steps, their values and vessels."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class StepState(StrEnum):
    """Where an executed step is: being performed, completed by its performer, verified by a second person."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    VERIFIED = "verified"


class VesselRole(StrEnum):
    """Whether a step took a vessel in (scanned) or put cells out into it (new vessel)."""

    IN = "in"
    OUT = "out"


class Workstation(SQLModel, table=True):
    """A processing workstation and the one lot open at it (None: free)."""

    name: str = Field(primary_key=True, max_length=64)
    lot_id: int | None = Field(default=None, foreign_key="lot.id", index=True, ondelete="RESTRICT")
    opened_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProcessStep(SQLModel, table=True):
    """One step of the process definition as executed for one lot."""

    __tablename__ = "process_step"
    # The worklists find the steps still open (in progress or awaiting verification) among all executed, the oldest
    # first, in index order.
    __table_args__ = (UniqueConstraint("lot_id", "step_code"),
                      Index("ix_process_step_state_started_at", "state", "started_at", "id"))

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    process_code: str = Field(max_length=32)
    process_version: int
    step_code: str = Field(max_length=32)
    step_type: str = Field(max_length=32)
    ordinal: int
    title: str = Field(max_length=120)
    station: str = Field(max_length=64)
    state: str = Field(default=StepState.IN_PROGRESS, max_length=16)
    started_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    performed_signature_id: int | None = Field(default=None, foreign_key="signature.id", ondelete="RESTRICT")
    verified_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_signature_id: int | None = Field(default=None, foreign_key="signature.id", ondelete="RESTRICT")


class StepValue(SQLModel, table=True):
    """A value recorded at a step. Never overwritten: a correction is a new row that replaces an earlier one."""

    __tablename__ = "step_value"

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="process_step.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=32)
    value: float
    unit: str = Field(max_length=16)
    recorded_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    replaces_id: int | None = Field(default=None, foreign_key="step_value.id", unique=True, ondelete="RESTRICT")
    reason: str = Field(default="", max_length=4000)  # LongText


class StepVessel(SQLModel, table=True):
    """A vessel a step took in (scanned at the station) or put cells out into (a new, labelled vessel)."""

    __tablename__ = "step_vessel"
    __table_args__ = (UniqueConstraint("step_id", "container_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="process_step.id", index=True, ondelete="RESTRICT")
    container_id: int = Field(foreign_key="container.id", index=True, ondelete="RESTRICT")
    role: str = Field(max_length=8)
    recorded_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
