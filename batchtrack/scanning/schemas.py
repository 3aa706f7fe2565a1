"""Request and response shapes for scan verification."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from batchtrack.validation import COI_PATTERN, DIN_PATTERN, RequestModel, StationName

ContainerKindName = Literal["aspirate_bag", "culture_vessel", "qc_sample", "final_product"]


class Expectation(RequestModel):
    """What the station expects the scan to be."""

    lot_din: Annotated[str, StringConstraints(pattern=DIN_PATTERN)] | None = None
    therapy_coi: Annotated[str, StringConstraints(pattern=COI_PATTERN)] | None = None
    container_kinds: list[ContainerKindName] | None = Field(default=None, max_length=4)
    step: Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z_]+$")] | None = None


class ScanRequest(RequestModel):
    """One scan: the raw characters as the scanner sent them, and where it happened."""

    # Raw input is kept as sent (control characters included): the pipeline cleans it and says why it refuses.
    raw: Annotated[str, StringConstraints(max_length=100_000)]
    station: StationName
    expect: Expectation = Field(default_factory=Expectation)


class VerdictOut(BaseModel):
    """Proceed or stop, with every reason, what was read and what it resolved to."""

    ok: bool
    reasons: list[dict[str, str]]
    parsed: dict[str, Any] | None
    resolved: dict[str, Any] | None
    raw_escaped: str
    raw_length: int
