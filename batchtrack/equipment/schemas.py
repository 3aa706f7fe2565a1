"""Request and response shapes for instruments, their calibration and their use."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from batchtrack.models.equipment import EquipmentKind
from batchtrack.web.validation import AwareTime, LongText, OptionalShortText, RequestModel, ShortText

ASSET_TAG_PATTERN = r"^[A-Z0-9-]{3,20}$"


def _tag_form(value: object) -> object:
    # The tag is read as printed on the instrument: surrounding spaces and letter case do not matter.
    return value.strip().upper() if isinstance(value, str) else value


def _at_most_120(value: str) -> str:
    # The location column holds 120 characters; OptionalShortText alone allows 200.
    if len(value) > 120:
        raise ValueError("must be at most 120 characters")
    return value


AssetTag = Annotated[str, BeforeValidator(_tag_form), StringConstraints(pattern=ASSET_TAG_PATTERN)]
Location = Annotated[OptionalShortText, AfterValidator(_at_most_120)]


class EquipmentCreate(RequestModel):
    """Register an instrument under the asset tag on its label."""

    code: AssetTag = Field(description="asset tag: 3 to 20 of A-Z, 0-9 and '-'")
    kind: EquipmentKind
    description: ShortText
    location: Location = ""
    calibration_due: AwareTime


class CalibrationCreate(RequestModel):
    """A calibration done: the next due time (in the future) and the certificate or reason for it."""

    calibration_due: AwareTime
    certificate: LongText = Field(min_length=1, description="certificate reference, or why the due time changes")


class EquipmentRetire(RequestModel):
    """Take an instrument out of service."""

    reason: LongText = Field(min_length=1)


class EquipmentPublic(BaseModel):
    """An instrument as every role may see it."""

    code: str
    kind: str
    description: str
    location: str
    calibration_due: datetime
    calibration_overdue: bool
    active: bool
    registered_by: str
    registered_at: datetime


class EquipmentUsePublic(BaseModel):
    """An instrument's use at a step of a lot."""

    din: str
    step_code: str
    step_title: str
    used_by: str
    used_at: datetime


class EquipmentEvent(BaseModel):
    """A recorded change to an instrument: registration, calibration or retirement."""

    at: datetime
    action: str
    actor: str
    calibration_due_before: datetime | None
    calibration_due_after: datetime | None
    reason: str
