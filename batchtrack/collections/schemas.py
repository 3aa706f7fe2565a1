"""Request and response shapes for collections."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from batchtrack.validation import Code, LongText, RequestModel


class CollectionCreate(RequestModel):
    """Schedule a marrow aspirate for a therapy; its DIN is allocated at once."""

    therapy_coi: Code
    scheduled_for: AwareDatetime | None = None


class CollectionTransition(RequestModel):
    """Move a collection through its lifecycle."""

    reason: LongText = ""
    occurred_at: AwareDatetime | None = None
    volume_ml: float | None = Field(default=None, gt=0, le=5000)


class CollectionPublic(BaseModel):
    """A collection as every role may see it."""

    din: str
    din_check: str
    din_eye_readable: str
    therapy_coi: str
    state: str
    scheduled_for: datetime | None
    collected_at: datetime | None
    volume_ml: float | None
    lot_din: str | None
    created_at: datetime
