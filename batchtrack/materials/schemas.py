"""Request and response shapes for material lots, their QA decision and the recall queries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from batchtrack.models.material import MaterialKind
from batchtrack.web.validation import AwareTime, Code, LongText, RequestModel, ShortText, SignerUserId


def _at_most_120(value: str) -> str:
    # The supplier column holds 120 characters; ShortText alone allows 200.
    if len(value) > 120:
        raise ValueError("must be at most 120 characters")
    return value


Supplier = Annotated[ShortText, AfterValidator(_at_most_120)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class MaterialLotCreate(RequestModel):
    """Receive a lot of a material into quarantine, as its supplier labelled it."""

    kind: MaterialKind
    description: ShortText
    supplier: Supplier
    supplier_lot: Code
    expires_at: AwareTime


class MaterialDecision(RequestModel):
    """QA's signed decision on a material lot: the password re-entered, and a reason (required to reject)."""

    username: SignerUserId = ""
    password: Password
    reason: LongText = ""


class MaterialLotPublic(BaseModel):
    """A material lot as every role may see it."""

    code: str
    kind: str
    description: str
    supplier: str
    supplier_lot: str
    expires_at: datetime
    expired: bool
    status: str
    received_by: str
    received_at: datetime
    status_by: str | None
    status_at: datetime | None


class LotUsingMaterial(BaseModel):
    """A lot that consumed a material lot: what a recall of that material reaches."""

    din: str
    therapy_coi: str
    subject_code: str
    lot_state: str
    step_codes: list[str] = Field(description="the steps of the lot that used the material, in order of use")
    first_used_at: datetime
    last_used_at: datetime


class MaterialOfLot(BaseModel):
    """A material lot that went into a lot, and at which steps."""

    code: str
    kind: str
    description: str
    supplier: str
    supplier_lot: str
    expires_at: datetime
    status: str
    step_codes: list[str] = Field(description="the steps of the lot that used the material, in order of use")
    first_used_at: datetime
    last_used_at: datetime
