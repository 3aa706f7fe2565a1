"""Electronic signatures (21 CFR Part 11): who, when, meaning, the hash of what was signed, and the hash of the
signature itself (over all of these), so that no column can be edited unseen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime


class SignatureMeaning(StrEnum):
    """What a signature attests."""

    PERFORMED = "performed"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"


class Signature(SQLModel, table=True):
    """One electronic signature over the canonical content of one record."""

    id: int | None = Field(default=None, primary_key=True)
    signer_id: int = Field(foreign_key="app_user.id", ondelete="RESTRICT")
    printed_name: str = Field(max_length=200)
    meaning: str = Field(max_length=16)
    signed_at: datetime = Field(sa_type=UTCDateTime)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64, index=True)
    content_hash: str = Field(max_length=64)
    # batchtrack.auth.signatures.signature_hash of the columns above; a row written without it never verifies.
    hash: str = Field(default="", max_length=64)
