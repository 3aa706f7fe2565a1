"""Request and response shapes for the QA release, its certificate of analysis and clinic alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from batchtrack.lots.schemas import LotPublic, ReasonOut
from batchtrack.web.validation import LongText, RequestModel, SignerUserId

Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
CoSignerRole = Literal["medical_director", "treating_physician"]


class ReleaseRequest(RequestModel):
    """Release the lot (QA), signed with the password (meaning: released); pending sterility if so chosen."""

    username: SignerUserId = ""
    password: Password
    pending_sterility: bool = False


class RejectRequest(RequestModel):
    """Reject the lot (QA), signed with the password (meaning: rejected), saying why."""

    username: SignerUserId = ""
    password: Password
    reason: LongText = Field(min_length=1)


class CoSignRequest(RequestModel):
    """Co-sign a release pending sterility: the medical director, or the treating physician (an investigator)."""

    role: CoSignerRole
    username: SignerUserId = ""
    password: Password


class StandingOut(BaseModel):
    """Where one test of the lot's specification stands."""

    code: str
    title: str
    stage: str
    status: str | None
    conforms: bool | None


class SignatureOut(BaseModel):
    """An electronic signature as the record shows it: printed name, date and time (UTC), meaning."""

    printed_name: str
    meaning: str
    signed_at: datetime
    intact: bool | None = None  # None: not re-checked


class CoSignatureOut(BaseModel):
    """A co-signature of a release pending sterility."""

    role: str
    signature: SignatureOut


class DecisionOut(BaseModel):
    """QA's signed decision on the lot."""

    decision: str
    specification: str | None
    reason: str
    decided_at: datetime
    signature: SignatureOut


class ReleaseSummary(BaseModel):
    """What the release gate sees for this lot and this user, and every reason it refuses each path."""

    lot: LotPublic
    specification: str | None
    now: datetime
    tests: list[StandingOut]
    open_deviations: int
    labels_unaccounted: int
    labels_unverified: int
    custody_gaps: list[str]
    you_performed_a_step: bool
    recipient_eligible: bool | None
    consent_withdrawn: bool
    pen_strep_allergies: list[str]
    co_signatures: list[CoSignatureOut]
    pending_sterility_possible: bool  # the specification marks a test as post-release
    release_refusals: list[ReasonOut]
    pending_sterility_refusals: list[ReasonOut]
    may_release: bool
    may_release_pending_sterility: bool
    decision: DecisionOut | None


class CertificateTest(BaseModel):
    """One test on the certificate: how it is done, the limit, the result in force and who entered it."""

    code: str
    title: str
    stage: str
    method: str
    limit: str
    result: str
    conforms: bool | None
    status: str | None  # None: no result
    entered_at: datetime | None
    analyst: str
    after_decision: bool  # entered after QA's decision (the final sterility of a lot released pending it)


class CertificatePublic(BaseModel):
    """The certificate of analysis of a lot: identity (never patient identity), results, and QA's decision."""

    din: str
    din_check: str
    din_eye_readable: str
    therapy_coi: str
    therapy_coi_check: str
    subject_code: str
    product_code: str
    lot_state: str
    expires_at: datetime | None
    specification_code: str
    specification_version: int
    specification_title: str
    tests: list[CertificateTest]
    decision: DecisionOut
    co_signatures: list[CoSignatureOut]
    generated_at: datetime


class AlertPublic(BaseModel):
    """An alert to the clinic about a lot, and who acknowledged it."""

    id: int
    lot_din: str
    kind: str
    message: str
    deviation_number: str | None
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
