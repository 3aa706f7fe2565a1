"""Response shapes of the chain-of-identity report (patient name and date of birth only for clinical roles)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from batchtrack.coi_report.record import CoiReport
from batchtrack.i18n.text import English


class _ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SignaturePublic(_ReadModel):
    """An electronic signature: printed name, date and time (UTC and display zone), meaning, what it signs."""

    id: int
    printed_name: str
    meaning: str
    signed_at: datetime
    signed_at_local: str
    signed_for: English
    entity_type: str
    entity_id: str
    content_hash: str


class TherapyPublic(_ReadModel):
    """The therapy: COI identifier with its check character."""

    coi: str
    coi_check: str
    coi_eye_readable: str
    state: str
    product_code: str
    prescribed_cells_per_kg: float | None
    opened_by: str
    opened_at: datetime


class RecipientPublic(_ReadModel):
    """The recipient: subject code; the name as written ("홍길동", "LAST, First"), the romanised name ("HONG,
    Gildong") and the date of birth only when `identity_shown`."""

    subject_code: str
    identity_shown: bool
    family_name: str | None
    given_name: str | None
    date_of_birth: date | None
    name: str | None
    romanised_name: str | None


class DonorPublic(_ReadModel):
    """The donor: the recipient themself (autologous) or a directed donor."""

    donor_code: str
    kind: str
    is_recipient: bool
    hla_match: str
    eligibility: str | None
    eligibility_recorded_at: datetime | None


class EligibilityPublic(_ReadModel):
    """The signed eligibility assessment that opened the therapy."""

    protocol_id: str
    protocol_version: int
    eligible: bool
    assessed_by: str
    assessed_at: datetime
    signature: SignaturePublic | None


class ReceiptPublic(_ReadModel):
    """The laboratory's receipt of an aspirate."""

    decision: str
    temperature_c: float
    hours_since_collection: float
    note: str
    received_by: str
    received_at: datetime


class CollectionPublic(_ReadModel):
    """A collection by its DIN and check character."""

    din: str
    din_check: str
    din_eye_readable: str
    state: str
    scheduled_for: datetime | None
    started_at: datetime | None
    collected_at: datetime | None
    volume_ml: float | None
    site: str
    collector: str
    created_at: datetime
    lot_din: str | None
    receipts: list[ReceiptPublic]


class CoSignaturePublic(_ReadModel):
    """A co-signature of a release pending sterility."""

    role: str
    signed_by: str
    signed_at: datetime
    signature: SignaturePublic | None


class ReleasePublic(_ReadModel):
    """QA's signed decision on a lot."""

    decision: str
    decided_by: str
    decided_at: datetime
    reason: str
    signature: SignaturePublic | None
    co_signatures: list[CoSignaturePublic]


class LabelCountPublic(_ReadModel):
    """The reconciliation of a lot's labels."""

    printed: int
    applied: int
    voided: int
    destroyed: int
    outstanding: list[int]
    applied_unverified: list[int]
    balanced: bool


class StepPublic(_ReadModel):
    """An executed step of a lot, with its performer and verifier."""

    code: str
    title: str
    state: str
    started_by: str
    started_at: datetime
    completed_by: str | None
    completed_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None
    performed_signature: SignaturePublic | None
    verified_signature: SignaturePublic | None


class LotPublic(_ReadModel):
    """A lot by its DIN and check character."""

    din: str
    din_check: str
    din_eye_readable: str
    state: str
    product_code: str
    specification_code: str | None
    specification_version: int | None
    expires_at: datetime | None
    created_at: datetime
    collections: list[str]
    release: ReleasePublic | None
    labels: LabelCountPublic
    steps: list[StepPublic]


class ContainerPublic(_ReadModel):
    """A container: DIN with check character, product code (division included) or flag, kind, status."""

    id: int
    din: str
    din_check: str
    kind: str
    product_code: str
    division: str
    sample_flag: str
    status: str
    lot_din: str | None
    collection_din: str | None
    created_at: datetime
    name: English


class HandOverPublic(_ReadModel):
    """A custody hand-over."""

    id: int
    container_id: int
    container: English
    handed_over_by: str
    received_by: str
    location: str
    temperature_c: float | None
    occurred_at: datetime
    recorded_by: str
    recorded_at: datetime
    note: str


class LabelPublic(_ReadModel):
    """A printed label and where it ended."""

    id: int
    container_id: int
    container: English
    status: str
    applied_by: str | None
    applied_at: datetime | None
    verified_at: datetime | None
    closed_reason: str
    closed_at: datetime | None


class LabelPrintPublic(_ReadModel):
    """A print job."""

    id: int
    template_kind: str
    template_version: int
    output_format: str
    printer: str
    copies: int
    is_reprint: bool
    reprint_reason: str
    printed_by: str
    printed_at: datetime
    labels: list[LabelPublic]


class DeviationPublic(_ReadModel):
    """A deviation on a lot of the therapy."""

    number: str
    lot_din: str
    state: str
    origin: str
    description: str
    impact: str
    opened_by: str
    opened_at: datetime
    closure: str
    closed_by: str | None
    closed_at: datetime | None
    closed_signature: SignaturePublic | None


class ReasonPublic(_ReadModel):
    """Why a bedside check stopped the infusion."""

    code: str
    message: str


class BedsideCheckPublic(_ReadModel):
    """A bedside check: passed, or refused with its reasons."""

    id: int
    checked_at: datetime
    ok: bool
    reasons: list[ReasonPublic]
    lot_din: str | None
    container_id: int | None
    container: English | None
    first_clinician: str
    second_clinician: str | None
    dose_cells: float | None
    dose_target_cells: float | None
    deviation_number: str | None


class InfusionPublic(_ReadModel):
    """An infusion, signed by both clinicians (adverse reactions text only for clinical roles)."""

    id: int
    check_id: int
    container_id: int
    container: English
    lot_din: str
    started_at: datetime
    ended_at: datetime
    volume_ml: float
    adverse_reactions_recorded: bool
    adverse_reactions: str | None
    first_signature: SignaturePublic | None
    second_signature: SignaturePublic | None
    recorded_by: str
    recorded_at: datetime


class EventPublic(_ReadModel):
    """One event of the chain."""

    at: datetime
    kind: str
    title: English
    subject: English
    detail: English
    by: English
    signatures: list[SignaturePublic]


class CoiReportPublic(_ReadModel):
    """The whole chain of identity of a therapy: identifier tables and the events oldest first."""

    therapy: TherapyPublic
    recipient: RecipientPublic
    donor: DonorPublic
    eligibility: EligibilityPublic | None
    collections: list[CollectionPublic]
    lots: list[LotPublic]
    containers: list[ContainerPublic]
    custody: list[HandOverPublic]
    label_prints: list[LabelPrintPublic]
    deviations: list[DeviationPublic]
    bedside_checks: list[BedsideCheckPublic]
    infusions: list[InfusionPublic]
    signatures: list[SignaturePublic]
    events: list[EventPublic]
    display_timezone: str
    generated_at: datetime

    @classmethod
    def of(cls, report: CoiReport) -> CoiReportPublic:
        """The report as the API returns it."""
        return cls.model_validate(report)
