"""Request and response shapes for therapies, recipients and donors."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


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
    recipient_family_name_latin: str
    recipient_given_name_latin: str
    recipient_name: str  # as the recipient writes it: "홍길동", or "HONG, Gildong" in Latin letters
    recipient_name_romanised: str  # "HONG, Gildong"; "" when no romanised name is recorded
    recipient_date_of_birth: date
    recipient_mrn: str


class TherapyPage(BaseModel):
    """One page of therapies."""

    items: list[TherapyWithIdentity | TherapyPublic]
    total: int
    offset: int
    limit: int
