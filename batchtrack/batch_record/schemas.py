"""Response shapes of the batch record (identifiers and subject code only, never patient identity)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from batchtrack.batch_record.record import BatchRecord
from batchtrack.i18n.text import English


class _ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LotHeaderPublic(_ReadModel):
    """Who the lot is and which process made it."""

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
    collections: list[str]
    expires_at: datetime | None
    created_at: datetime


class CorrectionPublic(_ReadModel):
    """One correction: the old and the new value, why, who and when."""

    old_value: float
    new_value: float
    reason: str
    corrected_by: str
    corrected_at: datetime


class RecordedValuePublic(_ReadModel):
    """A value of a step: current value, first entry, limits, and every correction in order."""

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
    limit_breach: English | None
    changed: bool
    corrections: list[CorrectionPublic]


class VesselPublic(_ReadModel):
    """A container taken in or put out at a step."""

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


class MaterialPublic(_ReadModel):
    """A material lot used at a step."""

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


class EquipmentPublic(_ReadModel):
    """An instrument used at a step."""

    code: str
    kind: str
    description: str
    calibration_due: datetime
    used_by: str
    used_at: datetime


class SignaturePublic(_ReadModel):
    """An electronic signature: printed name, date and time (UTC and display zone), meaning, content hash."""

    id: int
    printed_name: str
    meaning: str
    signed_at: datetime
    signed_at_local: str
    signed_for: English
    entity_type: str
    entity_id: str
    content_hash: str
    intact: bool | None = None


class StepPublic(_ReadModel):
    """An executed step with what was recorded at it."""

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
    performed_signature: SignaturePublic | None
    verified_signature: SignaturePublic | None
    values: list[RecordedValuePublic]
    vessels_in: list[VesselPublic]
    vessels_out: list[VesselPublic]
    materials: list[MaterialPublic]
    equipment: list[EquipmentPublic]


class DeviationPublic(_ReadModel):
    """A deviation of the lot."""

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
    closed_signature: SignaturePublic | None


class GrowthPointPublic(_ReadModel):
    """A point of the growth curve."""

    step_code: str
    at: datetime
    days: float
    population_doublings: float
    cumulative_doublings: float
    doubling_time_hours: float | None


class BatchRecordPublic(_ReadModel):
    """The whole batch record of a lot."""

    header: LotHeaderPublic
    steps: list[StepPublic]
    deviations: list[DeviationPublic]
    signatures: list[SignaturePublic]
    growth: list[GrowthPointPublic]
    corrected_values: int
    display_timezone: str
    generated_at: datetime

    @classmethod
    def of(cls, record: BatchRecord) -> BatchRecordPublic:
        """The record as the API returns it."""
        return cls.model_validate(record)
