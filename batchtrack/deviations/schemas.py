"""Request and response shapes for deviations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field, StringConstraints

from batchtrack.web.validation import LongText, RequestModel, SignerUserId

NUMBER_PATTERN = r"^DEV-[0-9]{4}-[0-9]{4,9}$"
NumberPath = Annotated[str, Path(pattern=NUMBER_PATTERN, description="deviation number, DEV-yyyy-nnnn")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class DeviationCreate(RequestModel):
    """Open a deviation on a lot: what happened and what it may affect."""

    description: LongText = Field(min_length=1)
    impact: LongText = ""


class DeviationClose(RequestModel):
    """Close a deviation (QA): how it was resolved, signed with the password (meaning: approved)."""

    closure: LongText = Field(min_length=1)
    username: SignerUserId = ""
    password: Password


class SignaturePublic(BaseModel):
    """An electronic signature as the record shows it."""

    printed_name: str
    meaning: str
    signed_at: datetime
    intact: bool


class DeviationPublic(BaseModel):
    """A deviation as every role may see it (lot identifiers only, never patient identity)."""

    number: str
    lot_din: str
    lot_state: str
    step_id: int | None
    origin: str
    state: str
    description: str
    impact: str
    opened_by: str
    opened_at: datetime
    closure: str
    closed_by: str | None
    closed_at: datetime | None
    closure_signature: SignaturePublic | None
