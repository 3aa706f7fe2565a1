"""Request and response bodies of step execution at a processing workstation."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, PrivateAttr, StringConstraints, field_validator

from batchtrack.i18n.text import Text
from batchtrack.lots.schemas import ReasonOut
from batchtrack.web.validation import LongText, RequestModel, SignerUserId

StepCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,31}$")]
ValueName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("the value must be a finite number")
    return value


class WorkstationOpen(RequestModel):
    """Open a lot at a workstation by scanning one of its labels (or typing its DIN)."""

    scan: str = Field(min_length=1, max_length=4096)


class StepScan(RequestModel):
    """A scan at the open step: a vessel, a material lot or an instrument."""

    scan: str = Field(min_length=1, max_length=4096)


class ValueRecord(RequestModel):
    """A value recorded at the open step."""

    name: ValueName
    value: float

    _check = field_validator("value")(_finite)


class ValueCorrection(RequestModel):
    """A correction of a recorded value; the reason is required and the old value stays in the record."""

    name: ValueName
    value: float
    reason: LongText = ""

    _check = field_validator("value")(_finite)


class VesselsAdd(RequestModel):
    """New vessels the step puts the cells into (each gets its own label)."""

    count: int = Field(ge=1, le=26)


class StepSign(RequestModel):
    """Complete or verify a step with an electronic signature."""

    username: SignerUserId = ""
    password: Password


class ValueOut(BaseModel):
    """The current value of a step's measurement, and whether it was corrected since entry."""

    name: str
    label: str
    unit: str
    value: float | None
    out_of_limit: str | None = None
    corrected: bool = False
    _out_of_limit_text: Text | None = PrivateAttr(default=None)

    @property
    def out_of_limit_text(self) -> Text | None:
        """Why the value is out of the process limits, for people to read in their language."""
        return self._out_of_limit_text

    @classmethod
    def of(cls, *, name: str, label: str, unit: str, value: float | None, out_of_limit: Text | None = None,
           corrected: bool = False) -> ValueOut:
        """Build with the reason the value is out of limits (in English in the body, kept for a page)."""
        out = cls(name=name, label=label, unit=unit, value=value, corrected=corrected,
                  out_of_limit=None if out_of_limit is None else str(out_of_limit))
        out._out_of_limit_text = out_of_limit
        return out


class PlannedStepOut(BaseModel):
    """A step of the lot's plan with its state."""

    code: str
    ordinal: int
    title: str
    optional: bool
    second_person: bool
    state: str | None
    values: list[ValueOut] = Field(default_factory=list)
    vessels_in: list[str] = Field(default_factory=list)
    vessels_out: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    equipment: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    verified_at: datetime | None = None
    can_complete: list[ReasonOut] = Field(default_factory=list)
    _vessels_out_text: list[Text] = PrivateAttr(default_factory=list)

    @property
    def vessels_out_text(self) -> list[Text]:
        """The new vessels as people read them (a label not yet verified said so in their language)."""
        return self._vessels_out_text

    def set_vessels_out(self, vessels: list[Text]) -> None:
        """Set the new vessels: their English in the body, kept for translation on a page."""
        self.vessels_out = [str(vessel) for vessel in vessels]
        self._vessels_out_text = vessels


class WorkstationOut(BaseModel):
    """A workstation, the lot open at it, and that lot's plan."""

    station: str
    lot_din: str | None
    lot_state: str | None = None
    subject_code: str | None = None
    process: str | None = None
    steps: list[PlannedStepOut] = Field(default_factory=list)


class ScanOutcome(BaseModel):
    """What a scan at a step did."""

    ok: bool
    kind: str
    message: str
    step: str
    _text: Text | None = PrivateAttr(default=None)

    @property
    def text(self) -> Text:
        """The message as marked for translation."""
        return self._text if self._text is not None else Text(self.message.replace("{", "{{").replace("}", "}}"))

    @classmethod
    def of(cls, *, ok: bool, kind: str, step: str, message: Text) -> ScanOutcome:
        """Build with the message kept for translation (its English in `message`)."""
        outcome = cls(ok=ok, kind=kind, step=step, message=str(message))
        outcome._text = message
        return outcome
