"""Containers: aspirate bags, culture vessels, QC sample tubes and final product bags."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime, utcnow


class ContainerKind(StrEnum):
    """What a container holds."""

    ASPIRATE_BAG = "aspirate_bag"
    CULTURE_VESSEL = "culture_vessel"
    QC_SAMPLE = "qc_sample"
    FINAL_PRODUCT = "final_product"


class ContainerStatus(StrEnum):
    """Where a container is in its life."""

    IN_USE = "in_use"
    CONSUMED = "consumed"
    INFUSED = "infused"
    DESTROYED = "destroyed"


class Container(SQLModel, table=True):
    """One labelled container: scannable as DIN + product code + division (or DIN + flag for samples)."""

    __table_args__ = (UniqueConstraint("din", "product_code", "division", "sample_flag"),)

    id: int | None = Field(default=None, primary_key=True)
    din: str = Field(max_length=13, index=True)
    kind: str = Field(max_length=16)
    product_code: str = Field(default="", max_length=16)
    division: str = Field(default="00", max_length=2)
    sample_flag: str = Field(default="00", max_length=2)
    # Indexed: the chain-of-identity report finds a therapy's bags by lot or by collection (one OR query).
    collection_id: int | None = Field(default=None, foreign_key="collection.id", index=True, ondelete="RESTRICT")
    lot_id: int | None = Field(default=None, foreign_key="lot.id", index=True, ondelete="RESTRICT")
    status: str = Field(default=ContainerStatus.IN_USE, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
