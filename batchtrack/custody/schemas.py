"""Request and response shapes for custody events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from batchtrack.web.validation import AwareTime, Code, OptionalShortText, RequestModel, ShortText


class CustodyEventCreate(RequestModel):
    """A hand-over confirmed by scanning the container's label: who gives, who receives, where, when, how cold."""

    scan: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    handed_over_by: Code
    received_by: Code
    location: ShortText
    temperature_c: float | None = Field(default=None, ge=-200, le=60)
    occurred_at: AwareTime | None = None
    note: OptionalShortText = ""


class CustodyEventPublic(BaseModel):
    """A recorded hand-over."""

    id: int
    container_id: int
    therapy_coi: str
    handed_over_by: str
    received_by: str
    location: str
    temperature_c: float | None
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    note: str
