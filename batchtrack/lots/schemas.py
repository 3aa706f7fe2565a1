"""Request and response shapes for lots and containers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from batchtrack.errors import Reason
from batchtrack.web.validation import AwareTime, LongText, RequestModel, SignerUserId


class LotTransition(RequestModel):
    """Move a lot through its lifecycle."""

    reason: LongText = ""


class HoldLift(RequestModel):
    """Lift the lot's hold (QA): why the lot may go on, signed with the password (meaning: approved)."""

    reason: LongText
    username: SignerUserId = ""
    password: str = Field(min_length=1, max_length=256)


class ContainerCreate(RequestModel):
    """Register new containers of a lot (culture vessels, QC samples or final product bags)."""

    kind: Literal["culture_vessel", "qc_sample", "final_product"]
    count: int = Field(default=1, ge=1, le=26)


class ExpirySet(RequestModel):
    """Set the lot's expiry time (a correction needs a reason)."""

    expires_at: AwareTime
    reason: LongText = ""


class ContainerPublic(BaseModel):
    """A container and its scannable identity."""

    id: int
    din: str
    kind: str
    product_code: str
    division: str
    sample_flag: str
    status: str
    lot_din: str | None
    created_at: datetime


class LotPublic(BaseModel):
    """A lot as every role may see it."""

    din: str
    din_check: str
    din_eye_readable: str
    therapy_coi: str
    subject_code: str
    product_code: str
    state: str
    state_before_hold: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    collections: list[str]


class ReasonOut(BaseModel):
    """One reason a transition is refused."""

    code: str
    message: str

    @classmethod
    def of(cls, reason: Reason) -> ReasonOut:
        """Build from a domain reason."""
        return cls(code=reason.code, message=reason.message)


class TransitionOption(BaseModel):
    """A transition and whether it is allowed now, with the reasons if not."""

    name: str
    label: str
    button: str
    allowed: bool
    reasons: list[ReasonOut]


class TimelineEvent(BaseModel):
    """One event on a lot's timeline: a custody hand-over or an audit entry."""

    at: datetime
    kind: Literal["custody", "audit"]
    summary: str
    actor: str
    detail: str
