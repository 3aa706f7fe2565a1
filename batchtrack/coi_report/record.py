"""The chain-of-identity report as a read model: frozen data, built by `assemble`, shown by the page, the API
and the PDF.

Patient identity (name, date of birth) is present only when the viewer's role may see it; the medical record
number is never part of the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from batchtrack.i18n.text import Text


def with_check(value: str, check: str) -> str:
    """An identifier followed by its check character, as printed next to the barcode ('W000026000001 K')."""
    return f"{value} {check}"


@dataclass(frozen=True, slots=True)
class SignatureEntry:
    """An electronic signature: printed name, date and time (the instant in UTC, as stored, and as printed in the
    site's zone), meaning, and what it signs."""

    id: int
    printed_name: str
    meaning: str
    signed_at: datetime
    signed_at_local: str
    signed_for: str | Text  # shown in the reader's language; English in the API and the FHIR export
    entity_type: str
    entity_id: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class TherapyEntry:
    """The therapy (COI record): its identifier with the check character, and who opened it when."""

    coi: str
    coi_check: str
    coi_eye_readable: str
    state: str
    product_code: str
    prescribed_cells_per_kg: float | None
    opened_by: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class RecipientEntry:
    """The recipient: the subject code always; name and date of birth only for roles that see patient identity."""

    subject_code: str
    identity_shown: bool
    family_name: str | None = None
    given_name: str | None = None
    date_of_birth: date | None = None
    # The name as its owner writes it (Hangul "홍길동", other scripts "LAST, First"); None when not shown.
    name: str | None = None
    # The romanised name as recorded ("" when none was, or when the name is not shown).
    family_name_latin: str = ""
    given_name_latin: str = ""
    # The romanised name "LAST, First"; None when not shown or none is recorded.
    romanised_name: str | None = None


@dataclass(frozen=True, slots=True)
class DonorEntry:
    """Where the cells come from: the recipient themself (autologous) or a directed donor."""

    donor_code: str
    kind: str
    is_recipient: bool
    hla_match: str
    eligibility: str | None
    eligibility_recorded_at: datetime | None


@dataclass(frozen=True, slots=True)
class EligibilityEntry:
    """The signed eligibility assessment that opened the therapy."""

    protocol_id: str
    protocol_version: int
    eligible: bool
    assessed_by: str
    assessed_at: datetime
    signature: SignatureEntry | None


@dataclass(frozen=True, slots=True)
class ReceiptEntry:
    """The laboratory's receipt of an aspirate: decision, transport temperature, time since collection."""

    decision: str
    temperature_c: float
    hours_since_collection: float
    note: str
    received_by: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class CollectionEntry:
    """One collection (marrow aspirate) by its DIN with check character, with its times and receipts."""

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
    receipts: tuple[ReceiptEntry, ...]

    @property
    def din_with_check(self) -> str:
        """The DIN and its check character."""
        return with_check(self.din, self.din_check)


@dataclass(frozen=True, slots=True)
class CoSignatureEntry:
    """A co-signature a release pending sterility needs (medical director, treating physician)."""

    role: str
    signed_by: str
    signed_at: datetime
    signature: SignatureEntry | None


@dataclass(frozen=True, slots=True)
class ReleaseEntry:
    """QA's signed decision on a lot."""

    decision: str
    decided_by: str
    decided_at: datetime
    reason: str
    signature: SignatureEntry | None
    co_signatures: tuple[CoSignatureEntry, ...]


@dataclass(frozen=True, slots=True)
class LabelCountEntry:
    """The reconciliation of a lot's labels: printed = applied + voided + destroyed, and what is left over."""

    printed: int
    applied: int
    voided: int
    destroyed: int
    outstanding: tuple[int, ...]
    applied_unverified: tuple[int, ...]
    balanced: bool


@dataclass(frozen=True, slots=True)
class StepEntry:
    """An executed processing step of a lot, with who performed and verified it (the batch record has the rest)."""

    code: str
    title: str
    state: str
    started_by: str
    started_at: datetime
    completed_by: str | None
    completed_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None
    performed_signature: SignatureEntry | None
    verified_signature: SignatureEntry | None


@dataclass(frozen=True, slots=True)
class LotEntry:
    """One lot by its DIN with check character: state, specification version, release decision, labels, steps."""

    din: str
    din_check: str
    din_eye_readable: str
    state: str
    product_code: str
    specification_code: str | None
    specification_version: int | None
    expires_at: datetime | None
    created_at: datetime
    collections: tuple[str, ...]
    release: ReleaseEntry | None
    labels: LabelCountEntry
    steps: tuple[StepEntry, ...]

    @property
    def din_with_check(self) -> str:
        """The DIN and its check character."""
        return with_check(self.din, self.din_check)

    @property
    def specification(self) -> str | None:
        """The specification the lot is tested against, as 'CODE version N'."""
        if self.specification_code is None:
            return None
        return f"{self.specification_code} version {self.specification_version}"


@dataclass(frozen=True, slots=True)
class ContainerEntry:
    """A container: scannable as DIN + product code + division (product bags) or DIN + flag (vessels, samples)."""

    id: int
    din: str
    din_check: str
    kind: str
    product_code: str  # the 8-character ISBT 128 product code, division included ('' when none)
    division: str
    sample_flag: str
    status: str
    lot_din: str | None
    collection_din: str | None
    created_at: datetime
    # How the record names it ('final product W000026000001 A0'), the kind in the reader's language; English in the API.
    name: str | Text

    @property
    def din_with_check(self) -> str:
        """The DIN and its check character."""
        return with_check(self.din, self.din_check)


@dataclass(frozen=True, slots=True)
class HandOverEntry:
    """One custody hand-over: who gave the container to whom, where, how cold, when."""

    id: int
    container_id: int
    container: str | Text
    handed_over_by: str
    received_by: str
    location: str
    temperature_c: float | None
    occurred_at: datetime
    recorded_by: str
    recorded_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class LabelEntry:
    """One printed label and where it ended (applied and scan-verified, voided or destroyed)."""

    id: int
    container_id: int
    container: str | Text
    status: str
    applied_by: str | None
    applied_at: datetime | None
    verified_at: datetime | None
    closed_reason: str
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class LabelPrintEntry:
    """One print job: template and version, who, when, on which printer, and why if it was a reprint."""

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
    labels: tuple[LabelEntry, ...]


@dataclass(frozen=True, slots=True)
class DeviationEntry:
    """A deviation on a lot of the therapy, with its closure and QA's closing signature."""

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
    closed_signature: SignatureEntry | None


@dataclass(frozen=True, slots=True)
class ReasonEntry:
    """Why a bedside check stopped the infusion."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class BedsideCheckEntry:
    """A bedside identity check by two clinicians: passed, or refused with its reasons."""

    id: int
    checked_at: datetime
    ok: bool
    reasons: tuple[ReasonEntry, ...]
    lot_din: str | None
    container_id: int | None
    container: str | Text | None
    first_clinician: str
    second_clinician: str | None
    dose_cells: float | None
    dose_target_cells: float | None
    deviation_number: str | None


@dataclass(frozen=True, slots=True)
class InfusionEntry:
    """The infusion of one product bag, signed by both clinicians.

    The adverse reactions are free text written at the bedside: only roles that see patient identity read it
    (`adverse_reactions` is None for the others, who see only whether any was recorded).
    """

    id: int
    check_id: int
    container_id: int
    container: str | Text
    lot_din: str
    started_at: datetime
    ended_at: datetime
    volume_ml: float
    adverse_reactions_recorded: bool
    adverse_reactions: str | None
    first_signature: SignatureEntry | None
    second_signature: SignatureEntry | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class EventEntry:
    """One event of the chain, from donor to recipient; the report lists them oldest first."""

    at: datetime
    kind: str
    title: str | Text  # shown in the reader's language; English in the API and the FHIR export
    subject: str | Text  # what was typed is kept as typed, in every language
    detail: str | Text
    by: str | Text
    signatures: tuple[SignatureEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class CoiReport:
    """The whole chain of identity of one therapy, as of `generated_at`."""

    therapy: TherapyEntry
    recipient: RecipientEntry
    donor: DonorEntry
    eligibility: EligibilityEntry | None
    collections: tuple[CollectionEntry, ...]
    lots: tuple[LotEntry, ...]
    containers: tuple[ContainerEntry, ...]
    custody: tuple[HandOverEntry, ...]
    label_prints: tuple[LabelPrintEntry, ...]
    deviations: tuple[DeviationEntry, ...]
    bedside_checks: tuple[BedsideCheckEntry, ...]
    infusions: tuple[InfusionEntry, ...]
    signatures: tuple[SignatureEntry, ...]
    events: tuple[EventEntry, ...]
    display_timezone: str
    generated_at: datetime

    @property
    def coi_with_check(self) -> str:
        """The therapy's COI identifier and its check character."""
        return with_check(self.therapy.coi, self.therapy.coi_check)
