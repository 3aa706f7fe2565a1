"""The lot (its record is the batch record) and the collections it is made from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class Lot(SQLModel, table=True):
    """What is manufactured from the collections of one therapy; its DIN is that of its first collection."""

    # The worklists read the lots of a state in the order they were opened, and those of the open states by expiry,
    # each in index order, stopping at the list's length however many lots there are.
    __table_args__ = (Index("ix_lot_state_id", "state", "id"),
                      Index("ix_lot_state_expires_at", "state", "expires_at", "id"))

    id: int | None = Field(default=None, primary_key=True)
    din: str = Field(sa_column=Column(String(13), unique=True, nullable=False))
    therapy_id: int = Field(foreign_key="therapy.id", index=True, ondelete="RESTRICT")
    product_code: str = Field(max_length=16)
    state: str = Field(default="in_process", max_length=32)
    state_before_hold: str | None = Field(default=None, max_length=32)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The specification version the lot is tested against, fixed when it is submitted to QC.
    specification_id: int | None = Field(default=None, foreign_key="specification.id", ondelete="RESTRICT")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LotCollection(SQLModel, table=True):
    """A collection that went into a lot."""

    __tablename__ = "lot_collection"

    lot_id: int = Field(foreign_key="lot.id", primary_key=True, ondelete="RESTRICT")
    collection_id: int = Field(foreign_key="collection.id", primary_key=True, ondelete="RESTRICT")
