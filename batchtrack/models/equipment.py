"""Equipment (incubators, biosafety cabinets, cell counters) with calibration due dates, and its use in steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class EquipmentKind(StrEnum):
    """What an instrument is, as the process definition names it."""

    INCUBATOR = "incubator"
    BIOSAFETY_CABINET = "biosafety_cabinet"
    CELL_COUNTER = "cell_counter"
    CENTRIFUGE = "centrifuge"
    CONTROLLED_RATE_FREEZER = "controlled_rate_freezer"


class Equipment(SQLModel, table=True):
    """One instrument, known by the asset code on its label."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(20), unique=True, nullable=False))
    kind: str = Field(max_length=32, index=True)
    description: str = Field(max_length=200)
    location: str = Field(default="", max_length=120)
    calibration_due: datetime = Field(sa_type=UTCDateTime)
    active: bool = True
    registered_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    registered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EquipmentUse(SQLModel, table=True):
    """An instrument used at a step of a lot (scanned at the station)."""

    __tablename__ = "equipment_use"

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="process_step.id", index=True, ondelete="RESTRICT")
    equipment_id: int = Field(foreign_key="equipment.id", index=True, ondelete="RESTRICT")
    used_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
