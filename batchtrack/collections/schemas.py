"""Request and response shapes for collections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from batchtrack.web.validation import (
    DIN_PATTERN,
    AwareTime,
    Code,
    LongText,
    OptionalShortText,
    RequestModel,
    StationName,
)


class CollectionCreate(RequestModel):
    """Schedule a marrow aspirate for a therapy; its DIN is allocated at once."""

    therapy_coi: Code
    scheduled_for: AwareTime | None = None


class CollectionTransition(RequestModel):
    """Move a collection through its lifecycle; `collect` also records the aspirate's details."""

    reason: LongText = ""
    started_at: AwareTime | None = None
    occurred_at: AwareTime | None = None
    volume_ml: float | None = Field(default=None, gt=0, le=5000)
    anticoagulant: OptionalShortText = ""
    site: OptionalShortText = ""


class Inspection(RequestModel):
    """The visual inspection at receipt: each item true when it passed."""

    bag_intact: bool
    seal_intact: bool
    label_legible: bool
    no_clots: bool


class ReceiptCreate(RequestModel):
    """A bag arriving at the lab: its scan, what the station expected, temperature, inspection, decision."""

    scan: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    expected_din: Annotated[str, StringConstraints(pattern=DIN_PATTERN)] | None = None
    temperature_c: float = Field(ge=-200, le=80)
    inspection: Inspection
    decision: Literal["accept", "reject", "quarantine"]
    reason: LongText = ""
    station: StationName = "receiving"


class ReceiptPublic(BaseModel):
    """The recorded receipt and the collection (and lot) it led to."""

    collection: CollectionPublic
    decision: str
    temperature_c: float
    hours_since_collection: float
    refusals_at_receipt: list[dict[str, str]]


class CollectionPublic(BaseModel):
    """A collection as every role may see it."""

    din: str
    din_check: str
    din_eye_readable: str
    therapy_coi: str
    state: str
    scheduled_for: datetime | None
    started_at: datetime | None
    collected_at: datetime | None
    volume_ml: float | None
    anticoagulant: str
    site: str
    lot_din: str | None
    created_at: datetime
