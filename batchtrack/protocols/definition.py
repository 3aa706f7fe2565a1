"""Loading protocol files (`protocols/<ID>.json`): criteria and operating limits, validated on load."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from batchtrack.errors import NotFound
from batchtrack.i18n.text import _
from batchtrack.resources import resource_dir

_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class Criterion(BaseModel):
    """One criterion; `applies_to` is `all`, an indication, or `directed` (allogeneic donors only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Z0-9-]{2,32}$")
    kind: Literal["inclusion", "exclusion"]
    applies_to: str
    text: str = Field(min_length=3)


class Limits(BaseModel):
    """The protocol's operating limits used along the chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dose_cells_per_kg: float = Field(gt=0)
    dose_tolerance_percent: float = Field(gt=0, le=100)
    weight_visit_window_days: int = Field(gt=0)
    max_hours_collection_to_receipt: float = Field(gt=0)
    max_hours_collection_to_processing: float = Field(gt=0)
    transport_temperature_min_c: float
    transport_temperature_max_c: float
    fresh_product_shelf_life_hours: float = Field(gt=0)
    donor_age_min_years: int = Field(ge=0)
    donor_age_max_years: int = Field(gt=0)

    @model_validator(mode="after")
    def _ranges(self) -> Limits:
        if self.transport_temperature_min_c >= self.transport_temperature_max_c:
            raise ValueError("transport temperature range is empty")
        if self.donor_age_min_years > self.donor_age_max_years:
            raise ValueError("donor age range is empty")
        return self


class Protocol(BaseModel):
    """A clinical protocol: its criteria, the indications it covers, and its limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: int = Field(ge=1)
    title: str
    product: str
    note: str = ""
    indications: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    limits: Limits
    pen_strep_substances: tuple[str, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        ids = [c.id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError("criterion ids must be unique")
        allowed = {"all", "directed", *self.indications}
        unknown = {c.applies_to for c in self.criteria} - allowed
        if unknown:
            raise ValueError(f"criteria apply to unknown groups: {sorted(unknown)}")
        return self


class ProtocolFileError(RuntimeError):
    """A protocol file that does not describe a valid protocol (a configuration error)."""


def available() -> list[str]:
    """The ids of the protocols this installation ships."""
    return sorted(p.stem for p in resource_dir("protocols").glob("*.json"))


@lru_cache(maxsize=16)
def load(protocol_id: str) -> Protocol:
    """Load and validate a protocol by id; NotFound for an unknown id."""
    if not _ID.fullmatch(protocol_id) or protocol_id not in available():
        raise NotFound(_("no protocol {protocol}; known: {known}", protocol=repr(protocol_id[:40]),
                         known=", ".join(available())), code="protocol.unknown")
    path = resource_dir("protocols") / f"{protocol_id}.json"
    try:
        protocol = Protocol.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise ProtocolFileError(f"protocol file {path.name} is invalid: {exc}") from exc
    if protocol.id != protocol_id:
        raise ProtocolFileError(f"protocol file {path.name} names itself {protocol.id!r}")
    return protocol
