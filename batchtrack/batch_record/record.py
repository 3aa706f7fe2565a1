"""The batch record as a read model: frozen data, built by `assemble`, shown by the page, the API and the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.i18n.text import Text
from batchtrack.processing.growth import GrowthPoint


@dataclass(frozen=True, slots=True)
class LotHeader:
    """Who the lot is: identifiers and subject code only, never the patient's name, birth date or MRN."""

    din: str
    din_check: str
    din_eye_readable: str
    therapy_coi: str
    therapy_coi_check: str
    subject_code: str
    product_code: str
    state: str
    process_code: str
    process_version: int
    process_title: str
    collections: tuple[str, ...]
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Correction:
    """One correction of a recorded value: what it was, what it became, why, by whom and when."""

    old_value: float
    new_value: float
    reason: str
    corrected_by: str
    corrected_at: datetime


@dataclass(frozen=True, slots=True)
class RecordedValue:
    """A value of a step: its current value, the value first entered, and every correction in between."""

    name: str
    label: str
    unit: str
    low_limit: float | None
    high_limit: float | None
    value: float
    original_value: float
    entered_by: str
    entered_at: datetime
    out_of_limit: bool
    limit_breach: str | Text | None  # in the reader's language; English in the API, as the deviation keeps it
    corrections: tuple[Correction, ...]

    @property
    def changed(self) -> bool:
        """Changed since entry: the value was corrected at least once."""
        return bool(self.corrections)


@dataclass(frozen=True, slots=True)
class VesselEntry:
    """A container a step took in (role 'in') or put cells out into (role 'out')."""

    role: str
    container_id: int
    din: str
    kind: str
    product_code: str
    division: str
    sample_flag: str
    status: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class MaterialEntry:
    """A material lot scanned at a step."""

    code: str
    kind: str
    description: str
    supplier: str
    supplier_lot: str
    expires_at: datetime
    status: str
    quantity: float | None
    unit: str
    used_by: str
    used_at: datetime


@dataclass(frozen=True, slots=True)
class EquipmentEntry:
    """An instrument scanned at a step."""

    code: str
    kind: str
    description: str
    calibration_due: datetime
    used_by: str
    used_at: datetime


@dataclass(frozen=True, slots=True)
class SignatureEntry:
    """An electronic signature as the record shows it: printed name, date and time, meaning. `signed_at` is the
    instant (UTC, as stored); `signed_at_local` is how the record prints it, in the site's zone with the zone named.

    `signed_for` says what it attests ('Harvest: performed'). `intact` compares the stored hash with the content
    rebuilt from the record as it stands: False means the record changed after signing (a correction);
    None means the record cannot rebuild what this signature covers.
    """

    id: int
    printed_name: str
    meaning: str
    signed_at: datetime
    signed_at_local: str
    signed_for: str | Text  # shown in the reader's language; English in the API
    entity_type: str
    entity_id: str
    content_hash: str
    intact: bool | None = None


@dataclass(frozen=True, slots=True)
class StepEntry:
    """One executed step with everything recorded at it."""

    code: str
    step_type: str
    ordinal: int
    title: str
    station: str
    state: str
    started_by: str
    started_at: datetime
    completed_by: str | None
    completed_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None
    performed_signature: SignatureEntry | None
    verified_signature: SignatureEntry | None
    values: tuple[RecordedValue, ...]
    vessels_in: tuple[VesselEntry, ...]
    vessels_out: tuple[VesselEntry, ...]
    materials: tuple[MaterialEntry, ...]
    equipment: tuple[EquipmentEntry, ...]

    @property
    def corrected_values(self) -> int:
        """How many of the step's values were changed since entry."""
        return sum(1 for v in self.values if v.changed)


@dataclass(frozen=True, slots=True)
class DeviationEntry:
    """A deviation of the lot, with its closure and the QA signature that closed it."""

    number: str
    state: str
    origin: str
    step_code: str | None
    step_title: str | None
    description: str
    impact: str
    opened_by: str
    opened_at: datetime
    closure: str
    closed_by: str | None
    closed_at: datetime | None
    closed_signature: SignatureEntry | None


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """The whole batch record of one lot, as of `generated_at`."""

    header: LotHeader
    steps: tuple[StepEntry, ...]
    deviations: tuple[DeviationEntry, ...]
    signatures: tuple[SignatureEntry, ...]
    growth: tuple[GrowthPoint, ...]
    display_timezone: str
    generated_at: datetime

    @property
    def corrected_values(self) -> int:
        """How many values of the record were changed since entry."""
        return sum(step.corrected_values for step in self.steps)
