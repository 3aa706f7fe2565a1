"""Request and response shapes for shipment, receipt at the clinic, bedside checks and infusions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from batchtrack.custody.schemas import CustodyEventPublic
from batchtrack.web.validation import (
    AwareTime,
    Code,
    LongText,
    OptionalShortText,
    RecordId,
    RequestModel,
    ShortText,
    SignerUserId,
)

Scan = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
OptionalScan = Annotated[str, StringConstraints(max_length=4096)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
OptionalPassword = Annotated[str, StringConstraints(max_length=1024)]
OptionalUsername = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
MAX_BAGS = 26  # divisions A0-Z0


class BagsHandOver(RequestModel):
    """Every final product bag of the lot scanned as it changes hands, with who, where and how cold.

    For a shipment the GMP operator hands over (default: the signed-in user) to the courier; for a receipt at the
    clinic the courier hands over to the clinician (default: the signed-in user).
    """

    scans: list[Scan] = Field(min_length=1, max_length=MAX_BAGS)
    handed_over_by: Code | None = None
    received_by: Code | None = None
    temperature_c: float = Field(ge=-200, le=60)
    location: ShortText
    note: OptionalShortText = ""


class HandOverPublic(BaseModel):
    """The lot after its bags changed hands, and the hand-overs recorded."""

    din: str
    state: str
    events: list[CustodyEventPublic]


class CheckCreate(RequestModel):
    """A bedside check: the wristband and the bag scanned, and the second clinician confirming on this device."""

    wristband_scan: Scan
    bag_scan: Scan
    second_clinician: OptionalUsername = ""  # empty: no second clinician (the check is then refused)
    second_password: OptionalPassword = ""
    acknowledge_pending_sterility: bool = False


class ReasonPublic(BaseModel):
    """One reason the check refused the infusion."""

    code: str
    message: str


class CheckPublic(BaseModel):
    """A recorded bedside check and its verdict."""

    id: int
    ok: bool
    reasons: list[ReasonPublic]
    therapy_coi: str | None
    lot_din: str | None
    container_id: int | None
    division: str | None
    first_clinician: str
    second_clinician: str | None
    dose_cells: float | None
    dose_target_cells: float | None
    deviation_number: str | None
    wristband_scan: str
    bag_scan: str
    checked_at: datetime
    infusion_id: int | None


class CheckRefusal(BaseModel):
    """The answer to a refused check (409): the error, every reason, and the recorded check."""

    error: str
    message: str
    reasons: list[ReasonPublic]
    check: CheckPublic


class VitalSigns(RequestModel):
    """Vital signs at one moment: within what a living adult can show, diastolic below systolic."""

    temperature_c: float = Field(ge=30, le=43)
    heart_rate_bpm: int = Field(ge=20, le=250)
    systolic_mmhg: int = Field(ge=50, le=260)
    diastolic_mmhg: int = Field(ge=20, le=160)
    spo2_percent: int = Field(ge=50, le=100)

    @model_validator(mode="after")
    def _pressure(self) -> VitalSigns:
        if self.diastolic_mmhg >= self.systolic_mmhg:
            raise ValueError("diastolic pressure must be below systolic pressure")
        return self


class InfusionCreate(RequestModel):
    """The infusion after a passed check, signed by both clinicians (performed; reviewed)."""

    check_id: RecordId
    started_at: AwareTime
    ended_at: AwareTime
    volume_ml: float = Field(gt=0, le=1000)
    vitals_before: VitalSigns
    vitals_after: VitalSigns
    adverse_reactions: LongText = ""
    username: SignerUserId = ""  # the signed-in clinician's user id (needed for the session's first signature)
    password: Password  # the signed-in clinician's, meaning "performed"
    second_clinician: Code
    second_password: Password  # meaning "reviewed"


class SignaturePublic(BaseModel):
    """An electronic signature as the record shows it."""

    printed_name: str
    meaning: str
    signed_at: datetime
    intact: bool


class InfusionPublic(BaseModel):
    """A recorded infusion."""

    id: int
    check_id: int
    therapy_coi: str
    lot_din: str
    lot_state: str
    therapy_state: str
    container_id: int
    division: str
    started_at: datetime
    ended_at: datetime
    volume_ml: float
    vitals_before: VitalSigns
    vitals_after: VitalSigns
    adverse_reactions: str
    signatures: list[SignaturePublic]
    recorded_by: str
    recorded_at: datetime


class DecodedPublic(BaseModel):
    """What a photo's barcodes read, as text (each as a scanner would send it)."""

    texts: list[str]
