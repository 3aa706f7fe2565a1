"""The batch record as a PDF printout (fpdf2, shipped fonts, text extractable), A4 portrait.

Every page carries the lot's DIN, "page X of Y" and, when given, the audit anchor. A corrected value prints its
current value marked "corrected" and a row per correction with the old and the new value, the reason, who and
when. Long texts wrap and continue on the next page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from batchtrack.batch_record import formatting as fmt
from batchtrack.batch_record.record import BatchRecord, SignatureEntry, StepEntry
from batchtrack.documents.layout import RecordPdf, Running, Sizes, one_at_a_time
from batchtrack.models.deviation import DeviationState

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)


def _who(name: str | None, at: datetime | None) -> str:
    if not name:
        return "-"
    return f"{name}, {fmt.utc(at)}" if at is not None else name


SIGNATURE_COLUMNS = ["Signed for", "Printed name", "Meaning", "Date and time (UTC)", "Local time",
                     "Integrity, content SHA-256"]


def _integrity(signature: SignatureEntry) -> str:
    if signature.intact is None:
        return signature.content_hash
    if signature.intact:
        return f"intact; {signature.content_hash}"
    return f"BROKEN: record changed after signing; {signature.content_hash}"


def _signature_rows(signatures: Sequence[SignatureEntry], zone: str) -> list[list[str]]:
    return [[s.signed_for, s.printed_name, s.meaning, fmt.utc(s.signed_at),
             s.signed_at_local if zone != "UTC" else "-", _integrity(s)] for s in signatures]


def _header_section(pdf: RecordPdf, record: BatchRecord) -> None:
    header = record.header
    pdf.heading("Batch record", size=16)
    process = f"{header.process_code} version {header.process_version}"
    if header.process_title:
        process += f" - {header.process_title}"
    open_deviations = sum(1 for d in record.deviations if d.state != DeviationState.CLOSED)
    pdf.facts([
        ("DIN", f"{header.din_eye_readable}   ({header.din}, check character {header.din_check})"),
        ("COI identifier", f"{header.therapy_coi} {header.therapy_coi_check}"),
        ("Subject", header.subject_code),
        ("Product code", header.product_code),
        ("Lot state", fmt.words(header.state)),
        ("Process", process),
        ("Collections", ", ".join(header.collections) or "-"),
        ("Lot expires", fmt.utc(header.expires_at)),
        ("Steps recorded", str(len(record.steps))),
        ("Values changed since entry", str(record.corrected_values)),
        ("Deviations", f"{len(record.deviations)} ({open_deviations} open)"),
        ("Printed", f"{fmt.utc(record.generated_at)}; times are UTC"
                    + ("" if record.display_timezone == "UTC" else f", local times in {record.display_timezone}")),
    ])


def _growth_section(pdf: RecordPdf, record: BatchRecord) -> None:
    pdf.heading("Growth curve")
    if not record.growth:
        pdf.paragraph("No growth data yet: a point appears once cells seeded at one passage are harvested at "
                      "the next.", style="I")
        return
    titles = {step.code: step.title for step in record.steps}
    pdf.grid(
        ["Step", "Day", "Population doublings", "Cumulative doublings", "Doubling time (h)"],
        [[titles.get(p.step_code, p.step_code), fmt.fixed(p.days, 1), fmt.fixed(p.population_doublings),
          fmt.fixed(p.cumulative_doublings), fmt.fixed(p.doubling_time_hours, 1)] for p in record.growth],
        (3, 1, 1.6, 1.6, 1.4),
    )


def _values(pdf: RecordPdf, step: StepEntry) -> None:
    if not step.values:
        pdf.paragraph("No value recorded.", style="I")
        return
    rows, flagged = [], []
    for index, value in enumerate(step.values):
        notes = []
        if value.changed:
            count = len(value.corrections)
            notes.append(f"CORRECTED: changed since entry ({count} correction{'s' if count > 1 else ''})")
        if value.out_of_limit:
            notes.append(f"OUT OF LIMITS: {value.limit_breach}")
        if notes:
            flagged.append(index)
        has_limits = value.low_limit is not None or value.high_limit is not None
        remark = "; ".join(notes) or ("within limits" if has_limits else "-")
        rows.append([value.label, fmt.number(value.value), value.unit, fmt.limits(value.low_limit, value.high_limit),
                     f"{fmt.number(value.original_value)} by {_who(value.entered_by, value.entered_at)}", remark])
    pdf.grid(["Value", "Current", "Unit", "Limits", "First entered", "Remarks"], rows,
             (2.2, 1.5, 0.9, 1.3, 3.2, 2.4), flagged=flagged)
    corrections = [[value.label, fmt.number(c.old_value), fmt.number(c.new_value), c.reason,
                    c.corrected_by, fmt.utc(c.corrected_at)]
                   for value in step.values for c in value.corrections]
    if corrections:
        pdf.heading("Corrections (old value -> new value)", size=SIZES.body_pt, space=12)
        pdf.grid(["Value", "Old value", "New value", "Reason", "Corrected by", "Date and time (UTC)"],
                 corrections, (1.8, 1.3, 1.3, 3.2, 1.7, 1.9))


def _step_section(pdf: RecordPdf, step: StepEntry, zone: str) -> None:
    pdf.heading(f"{step.ordinal}. {step.title}", space=40)
    pdf.facts([
        ("Step", f"{step.code}, station {step.station or '-'}"),
        ("State", fmt.words(step.state)),
        ("Started", _who(step.started_by, step.started_at)),
        ("Completed", _who(step.completed_by, step.completed_at)),
        ("Verified", _who(step.verified_by, step.verified_at)),
    ])
    _values(pdf, step)
    vessels = [*step.vessels_in, *step.vessels_out]
    if vessels:
        pdf.grid(["In/out", "Container", "Kind", "Identity", "Status", "Recorded"],
                 [[v.role, str(v.container_id), fmt.words(v.kind),
                   f"{v.din} {v.product_code} div {v.division} flag {v.sample_flag}", fmt.words(v.status),
                   _who(v.recorded_by, v.recorded_at)] for v in vessels],
                 (0.8, 1, 1.5, 3.2, 1, 3))
    if step.materials:
        pdf.grid(["Material", "Kind", "Supplier lot", "Expires", "Status", "Quantity", "Used"],
                 [[f"{m.code} {m.description}", fmt.words(m.kind), f"{m.supplier} {m.supplier_lot}",
                   fmt.utc(m.expires_at), m.status,
                   f"{fmt.number(m.quantity)} {m.unit}".strip() if m.quantity is not None else "-",
                   _who(m.used_by, m.used_at)] for m in step.materials],
                 (2.2, 1.3, 1.8, 1.7, 1.1, 0.9, 2.6))
    if step.equipment:
        pdf.grid(["Instrument", "Kind", "Calibration due", "Used"],
                 [[f"{e.code} {e.description}", fmt.words(e.kind), fmt.utc(e.calibration_due),
                   _who(e.used_by, e.used_at)] for e in step.equipment],
                 (3, 1.6, 1.8, 3))
    signatures = [s for s in (step.performed_signature, step.verified_signature) if s is not None]
    if signatures:
        pdf.grid(SIGNATURE_COLUMNS,
                 _signature_rows(signatures, zone), (2, 1.8, 1, 1.9, 1.6, 3))
    else:
        pdf.paragraph("Not signed yet.", style="I")


def _deviation_section(pdf: RecordPdf, record: BatchRecord) -> None:
    pdf.heading("Deviations")
    if not record.deviations:
        pdf.paragraph("No deviation recorded.", style="I")
        return
    for deviation in record.deviations:
        signature = deviation.closed_signature
        pdf.heading(f"{deviation.number} ({fmt.words(deviation.state)})", size=SIZES.body_pt + 1, space=30)
        pdf.facts([
            ("Origin", fmt.words(deviation.origin) + (f", step {deviation.step_title}" if deviation.step_title
                                                       else "")),
            ("Opened", _who(deviation.opened_by, deviation.opened_at)),
            ("Description", deviation.description),
            ("Impact", deviation.impact or "-"),
            ("Closure", deviation.closure or "-"),
            ("Closed", _who(deviation.closed_by, deviation.closed_at)),
            ("Closing signature", f"{signature.printed_name}, {signature.meaning}, {fmt.utc(signature.signed_at)}"
             if signature is not None else "-"),
        ])


@one_at_a_time
def render_pdf(record: BatchRecord, *, audit_anchor: str | None = None) -> bytes:
    """The whole batch record as a PDF document; `audit_anchor` is printed in every page's footer."""
    header = record.header
    pdf = RecordPdf(SIZES, Running(
        title=f"Batch record - lot DIN {header.din_eye_readable}",
        note=f"COI {header.therapy_coi} {header.therapy_coi_check} - subject {header.subject_code}",
        footer=f"Lot {header.din} - printed {fmt.utc(record.generated_at)}",
        audit_anchor=audit_anchor), document_title=f"Batch record {header.din}")
    _header_section(pdf, record)
    _growth_section(pdf, record)
    pdf.heading("Steps")
    if not record.steps:
        pdf.paragraph("No processing step has been started for this lot.", style="I")
    for step in record.steps:
        _step_section(pdf, step, record.display_timezone)
    _deviation_section(pdf, record)
    pdf.heading("Signatures")
    if record.signatures:
        pdf.grid(SIGNATURE_COLUMNS,
                 _signature_rows(record.signatures, record.display_timezone), (2, 1.8, 1, 1.9, 1.6, 3))
    else:
        pdf.paragraph("No signature recorded.", style="I")
    pdf.paragraph("The content hash is the SHA-256 of the content each signature was applied to. 'BROKEN' means "
                  "the record was corrected after that signature: the correction is shown with the step.", style="I")
    return pdf.document()
