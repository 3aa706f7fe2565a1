"""The bedside: identity checks by two clinicians before an infusion, and the infusion record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class BedsideCheck(SQLModel, table=True):
    """One bedside verification: the wristband and bag scanned, two clinicians, and the verdict with its reasons.

    Recorded whether it passed or not (a refused check also opens a deviation); never changed afterwards.
    """

    __tablename__ = "bedside_check"

    id: int | None = Field(default=None, primary_key=True)
    therapy_id: int | None = Field(default=None, foreign_key="therapy.id", index=True, ondelete="RESTRICT")
    lot_id: int | None = Field(default=None, foreign_key="lot.id", index=True, ondelete="RESTRICT")
    # Indexed: the report finds checks by therapy, lot or bag in one OR query, which needs all three.
    container_id: int | None = Field(default=None, foreign_key="container.id", index=True, ondelete="RESTRICT")
    # Escaped as read: up to 200 characters of the scan, each up to 10 once escaped ("\\U0001f600"), then "...".
    wristband_scan: str = Field(max_length=2048)
    bag_scan: str = Field(max_length=2048)
    first_clinician_id: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    second_clinician_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    ok: bool
    reasons: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of {code, message}
    dose_cells: float | None = None
    dose_target_cells: float | None = None
    deviation_id: int | None = Field(default=None, foreign_key="deviation.id", ondelete="RESTRICT")
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Infusion(SQLModel, table=True):
    """The infusion of one product bag after a passed bedside check, signed by both clinicians."""

    id: int | None = Field(default=None, primary_key=True)
    container_id: int = Field(foreign_key="container.id", unique=True, ondelete="RESTRICT")
    therapy_id: int = Field(foreign_key="therapy.id", index=True, ondelete="RESTRICT")
    lot_id: int = Field(foreign_key="lot.id", index=True, ondelete="RESTRICT")
    check_id: int = Field(foreign_key="bedside_check.id", unique=True, ondelete="RESTRICT")
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    volume_ml: float
    vital_signs: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON, before and after
    adverse_reactions: str = Field(default="", sa_column=Column(Text, nullable=False))
    first_signature_id: int = Field(foreign_key="signature.id", ondelete="RESTRICT")
    second_signature_id: int = Field(foreign_key="signature.id", ondelete="RESTRICT")
    recorded_by: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
