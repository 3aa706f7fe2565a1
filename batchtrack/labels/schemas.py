"""Request and response shapes for label print control."""

from __future__ import annotations

import gettext
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from batchtrack.i18n.text import ENGLISH
from batchtrack.labels import printing
from batchtrack.labels.reconciliation import Reconciliation
from batchtrack.models.container import Container
from batchtrack.models.label import Label, LabelPrint
from batchtrack.web.validation import LongText, RecordId, RequestModel, StationName

ContainerKindName = Literal["aspirate_bag", "culture_vessel", "qc_sample", "final_product"]
FormatName = Literal["zpl", "png", "svg", "pdf"]
MAX_LABELS_PER_PRINT = 100


def _printer(value: str) -> str:
    return str(printing.parse_printer(value))


Printer = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printer)]


class PrintRequest(RequestModel):
    """Print the labels of some containers of a lot (one label kind per print); a reprint needs a reason."""

    container_ids: list[RecordId] | None = Field(default=None, min_length=1, max_length=MAX_LABELS_PER_PRINT)
    kind: ContainerKindName | None = Field(default=None, description="every in-use container of this kind")
    format: FormatName = "zpl"
    dpi: int | None = Field(default=None, ge=150, le=1200, description="ZPL: 203 or 300; PNG: 150-1200")
    printer: Printer | None = Field(default=None, description='Zebra printer as "host:port" (ZPL only)')
    station: StationName | None = Field(default=None, description="a station: its configured printer gets the ZPL")
    reason: LongText = Field(default="", description="why: required when a container already has a live label")

    @model_validator(mode="after")
    def _one_selection(self) -> PrintRequest:
        if (self.container_ids is None) == (self.kind is None):
            raise ValueError("name the containers either by container_ids or by kind, not both")
        if self.printer is not None and self.station is not None:
            raise ValueError("name the printer or the station whose printer to use, not both")
        return self


class LabelClose(RequestModel):
    """Void or destroy a label; the reason is required."""

    reason: LongText = ""


class ApplyRequest(RequestModel):
    """The scan of the label just applied, as the scanner sent it."""

    scan: Annotated[str, StringConstraints(max_length=100_000)]


class BarcodeOut(BaseModel):
    """One barcode of a label and the exact data it encodes."""

    symbology: str
    data: str


class LabelPublic(BaseModel):
    """One physical label: its container, the data its barcodes carry, and where it ended."""

    id: int
    print_id: int
    container_id: int
    container_kind: str
    din: str
    division: str
    sample_flag: str
    template_kind: str
    template_version: int
    status: str
    barcodes: dict[str, BarcodeOut]
    printed_at: datetime
    applied_by: str | None
    applied_at: datetime | None
    verified_at: datetime | None
    closed_reason: str
    closed_at: datetime | None

    @classmethod
    def of(
        cls, label: Label, job: LabelPrint, container: Container, barcodes: dict[str, dict[str, str]], *,
        applied_by: str | None,
    ) -> LabelPublic:
        """Build from the recorded label, its print job and its container."""
        assert label.id is not None and job.id is not None
        return cls(
            id=label.id, print_id=job.id, container_id=label.container_id, container_kind=container.kind,
            din=container.din, division=container.division, sample_flag=container.sample_flag,
            template_kind=job.template_kind, template_version=job.template_version, status=label.status,
            barcodes={key: BarcodeOut(**value) for key, value in barcodes.items()}, printed_at=job.printed_at,
            applied_by=applied_by, applied_at=label.applied_at, verified_at=label.verified_at,
            closed_reason=label.closed_reason, closed_at=label.closed_at,
        )


class LabelPrintPublic(BaseModel):
    """One print job: template and version, who, when, how many, where, and why if a reprint."""

    id: int
    lot_din: str
    therapy_coi: str
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

    @classmethod
    def of(cls, job: LabelPrint, *, din: str, coi: str, printed_by: str, labels: list[LabelPublic]) -> LabelPrintPublic:
        """Build from the recorded print job."""
        assert job.id is not None
        return cls(
            id=job.id, lot_din=din, therapy_coi=coi, template_kind=job.template_kind,
            template_version=job.template_version, output_format=job.output_format, printer=job.printer,
            copies=job.copies, is_reprint=job.is_reprint, reprint_reason=job.reprint_reason,
            printed_by=printed_by, printed_at=job.printed_at, labels=labels,
        )


class LabelDocument(BaseModel):
    """A rendered output: one file for ZPL and PDF, one per label for PNG and SVG."""

    filename: str
    media_type: str
    content_base64: str


class PrintResult(BaseModel):
    """The recorded print and its output (or the printer it was sent to)."""

    job: LabelPrintPublic
    sent_to: str | None
    documents: list[LabelDocument]


class ReasonOut(BaseModel):
    """A reason, as code and message."""

    code: str
    message: str


class ReconciliationPublic(BaseModel):
    """Printed = applied + voided + destroyed, and the labels that make any difference."""

    lot_din: str
    printed: int
    applied: int
    voided: int
    destroyed: int
    outstanding: list[int]
    applied_unverified: list[int]
    balanced: bool
    difference: int
    named_difference: str
    reasons: list[ReasonOut]

    @classmethod
    def of(
        cls, din: str, result: Reconciliation, translations: gettext.NullTranslations = ENGLISH
    ) -> ReconciliationPublic:
        """Build from the reconciliation of the lot's labels, its messages in the language of `translations`."""
        named = result.named_difference_text
        return cls(
            lot_din=din, printed=result.printed, applied=result.applied, voided=result.voided,
            destroyed=result.destroyed, outstanding=list(result.outstanding),
            applied_unverified=list(result.applied_unverified), balanced=result.balanced,
            difference=result.difference, named_difference="" if named is None else named.shown_in(translations),
            reasons=[ReasonOut(**r.as_dict(translations)) for r in result.reasons()],
        )
