"""Material lots (media, platelet lysate, antibiotics, trypsin, saline, albumin) and their use in steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class MaterialKind(StrEnum):
    """What a material is, as the process definition names it."""

    MEDIUM = "medium"
    PLATELET_LYSATE = "platelet_lysate"
    SERUM = "serum"
    PEN_STREP = "pen_strep"
    TRYPSIN = "trypsin"
    SALINE = "saline"
    ALBUMIN = "albumin"
    CRYOPROTECTANT = "cryoprotectant"


class MaterialStatus(StrEnum):
    """Whether QA let the material lot into use."""

    QUARANTINE = "quarantine"
    RELEASED = "released"
    REJECTED = "rejected"


class MaterialLot(SQLModel, table=True):
    """One received lot of a material, known by the code on its in-house label."""

    __tablename__ = "material_lot"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(20), unique=True, nullable=False))
    kind: str = Field(max_length=32, index=True)
    description: str = Field(max_length=200)
    supplier: str = Field(max_length=120)
    supplier_lot: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=MaterialStatus.QUARANTINE, max_length=16)
    received_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    status_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MaterialUse(SQLModel, table=True):
    """A material lot consumed at a step of a lot (scanned at the station)."""

    __tablename__ = "material_use"

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="process_step.id", index=True, ondelete="RESTRICT")
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    material_lot_id: int = Field(foreign_key="material_lot.id", index=True, ondelete="RESTRICT")
    quantity: float | None = None
    unit: str = Field(default="", max_length=16)
    used_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
