"""Request and response shapes for scan verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from batchtrack.web.validation import COI_PATTERN, DIN_PATTERN, RequestModel, StationName

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
    """Proceed or stop, with every reason, what was read and what it resolved to; or, where the station expects
    nothing (no lot, therapy or container kind), what the scan is."""

    ok: bool = Field(description="true when nothing refuses the scan (a proceed, or a scan only identified)")
    verdict: Literal["proceed", "stop", "identified"] = Field(description=(
        "proceed: the scan is what the station expects; stop: it must not be used (see reasons); identified: the "
        "station expects nothing, so nothing was approved, and `identified` says what the scan is (ok stays true, "
        "as it was for such a scan before this field)"))
    identified: dict[str, str] | None = Field(description=(
        "what the scan is, where the verdict is identified: a code naming the kind of record "
        "(scan.identified.therapy, scan.identified.container, scan.identified.collection) and a message in the "
        "request's language, e.g. \"therapy CHW000026000001Q, completed on 2026-12-08 KST: its product was "
        "infused\""))
    reasons: list[dict[str, str]]
    parsed: dict[str, Any] | None
    resolved: dict[str, Any] | None
    raw_escaped: str
    raw_length: int


class AcknowledgementCreate(RequestModel):
    """The STOP a person acknowledges at a station, by its refusal's number in the audit trail."""

    refusal_seq: int = Field(ge=1, le=2**62, description="the refusal shown (`refusal_seq` of the station's stop)")


class StationStopPublic(BaseModel):
    """A station's STOP that no one has acknowledged yet (`pending` false when there is none): the station takes
    no further scan at its page until someone acknowledges it."""

    station: str
    pending: bool
    refusal_seq: int | None = None
    occurred_at: datetime | None = None
    scanned_by: str | None = None
    reasons: list[dict[str, str]] = Field(default_factory=list)
    raw_escaped: str | None = None


class AcknowledgementPublic(BaseModel):
    """An acknowledged STOP: who saw it, and when (UTC); every earlier STOP at the station is covered too."""

    station: str
    refusal_seq: int
    acknowledged_by: str
    acknowledged_at: datetime
    still_pending: StationStopPublic


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    # The JSON schema of a model with its nested models written in place (OpenAPI resolves "#/$defs/..." against
    # the whole document, not against this schema).
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


# The scan route validates its body itself, once the caller is authenticated (see judging.py); its OpenAPI
# description still says what the body is, and that a malformed one is refused as every route refuses it (the
# reference is rewritten to the refusal body with every other route's, see health/openapi_routes.py).
SCAN_REQUEST_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inlined(ScanRequest.model_json_schema())}},
    },
    "responses": {"422": {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
    }},
}
