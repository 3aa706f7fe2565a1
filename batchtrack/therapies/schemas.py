"""Request and response shapes for therapies, recipients and donors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from batchtrack.validation import Code, RequestModel, ShortText


class RecipientCreate(RequestModel):
    """The patient's identity, entered once at enrolment."""

    subject_code: Code
    family_name: ShortText
    given_name: ShortText
    date_of_birth: date
    mrn: Code


class TherapyCreate(RequestModel):
    """Enrol a recipient and open their therapy (the COI record)."""

    recipient: RecipientCreate
    donor_kind: Literal["autologous", "directed"] = "autologous"
    donor_code: Code | None = None
    prescribed_cells_per_kg: float | None = Field(default=None, gt=0, le=1e9)

    @model_validator(mode="after")
    def _directed_needs_donor(self) -> TherapyCreate:
        if self.donor_kind == "directed" and not self.donor_code:
            raise ValueError("a directed (allogeneic) therapy needs the donor's code")
        return self


class TherapyPublic(BaseModel):
    """A therapy as every role may see it: identifiers and subject code, no patient identity."""

    coi: str
    coi_check: str
    coi_eye_readable: str
    subject_code: str
    donor_kind: str
    donor_code: str
    product_code: str
    state: str
    prescribed_cells_per_kg: float | None
    created_at: datetime


class TherapyWithIdentity(TherapyPublic):
    """A therapy with the recipient's identity, for clinical roles only."""

    recipient_family_name: str
    recipient_given_name: str
    recipient_date_of_birth: date
    recipient_mrn: str


class TherapyPage(BaseModel):
    """One page of therapies."""

    items: list[TherapyWithIdentity | TherapyPublic]
    total: int
    offset: int
    limit: int
