"""The batch record as a PDF printout (fpdf2, shipped fonts, text extractable), A4 portrait.

Every page carries the lot's DIN, "page X of Y" and, when given, the audit anchor. A corrected value prints its
current value marked "corrected" and a row per correction with the old and the new value, the reason, who and
when. Long texts wrap and continue on the next page. Headings, labels and fixed sentences are printed in the
reader's language (`translations`); what was recorded is printed as recorded. Times are printed in the site's zone
with the zone named (signatures also in UTC, the time they are stored in), numbers as people read them.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from datetime import datetime

from batchtrack.batch_record import formatting as fmt
from batchtrack.batch_record.record import BatchRecord, SignatureEntry, StepEntry
from batchtrack.documents.layout import RecordPdf, Running, Sizes, Words, one_at_a_time
from batchtrack.i18n import code_words
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import ENGLISH, Text, _
from batchtrack.models.deviation import DeviationState

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)


def _who(name: str | None, at: datetime | None, zone: str) -> str:
    if not name:
        return "-"
    return f"{name}, {fmt.local(at, zone)}" if at is not None else name


SIGNATURE_COLUMNS: list[Words] = [_("Signed for"), _("Printed name"), _("Meaning"), _("Date and time"), "UTC",
                                  _("Integrity, content SHA-256")]


def _integrity(signature: SignatureEntry) -> Words:
    if signature.intact is None:
        return signature.content_hash
    if signature.intact:
        return _("intact; {hash}", hash=signature.content_hash)
    return _("BROKEN: record changed after signing; {hash}", hash=signature.content_hash)


def _signature_rows(signatures: Sequence[SignatureEntry]) -> list[list[Words]]:
    # The site's time is the reading; the UTC time beside it is the one stored and hashed.
    return [[s.signed_for, s.printed_name, fmt.words(s.meaning), s.signed_at_local,
             fmt.utc(s.signed_at) if fmt.utc(s.signed_at) != s.signed_at_local else "-", _integrity(s)]
            for s in signatures]


def _header_section(pdf: RecordPdf, record: BatchRecord) -> None:
    header = record.header
    pdf.heading(_("Batch record"), size=16)
    process: Words = _("{code} version {version}", code=header.process_code, version=header.process_version)
    if header.process_title:
        process = _("{process} - {title}", process=process, title=data_words(header.process_title))
    open_deviations = sum(1 for d in record.deviations if d.state != DeviationState.CLOSED)
    zone = record.display_timezone
    printed = _("{moment}; times in the site's time zone, {zone}", moment=fmt.local(record.generated_at, zone),
                zone=zone)
    pdf.facts([
        ("DIN", _("{eye_readable}   ({din}, check character {check})", eye_readable=header.din_eye_readable,
                  din=header.din, check=header.din_check)),
        (_("COI identifier"), f"{header.therapy_coi} {header.therapy_coi_check}"),
        (_("Subject"), header.subject_code),
        (_("Product code"), header.product_code),
        (_("Lot state"), fmt.words(header.state)),
        (_("Process"), process),
        (_("Collections"), ", ".join(header.collections) or "-"),
        (_("Lot expires"), fmt.local(header.expires_at, zone)),
        (_("Steps recorded"), str(len(record.steps))),
        (_("Values changed since entry"), str(record.corrected_values)),
        (_("Deviations"), _("{count} ({open} open)", count=len(record.deviations), open=open_deviations)),
        (_("Printed"), printed),
    ])


def _growth_section(pdf: RecordPdf, record: BatchRecord) -> None:
    pdf.heading(_("Growth curve"))
    if not record.growth:
        pdf.paragraph(_("No growth data yet: a point appears once cells seeded at one passage are harvested at "
                        "the next."), style="I")
        return
    titles = {step.code: data_words(step.title) for step in record.steps}
    pdf.grid(
        [_("Step"), _("Day"), _("Population doublings"), _("Cumulative doublings"), _("Doubling time (h)")],
        [[titles.get(p.step_code, p.step_code), fmt.fixed(p.days, 1), fmt.fixed(p.population_doublings),
          fmt.fixed(p.cumulative_doublings), fmt.fixed(p.doubling_time_hours, 1)] for p in record.growth],
        (3, 1, 1.6, 1.6, 1.4),
    )


def _values(pdf: RecordPdf, step: StepEntry, zone: str) -> None:
    if not step.values:
        pdf.paragraph(_("No value recorded."), style="I")
        return
    rows: list[list[Words]] = []
    flagged = []
    for index, value in enumerate(step.values):
        notes: list[Words] = []
        if value.changed:
            count = len(value.corrections)
            notes.append(_("CORRECTED: changed since entry ({count} corrections)", count=count) if count > 1 else
                         _("CORRECTED: changed since entry ({count} correction)", count=count))
        if value.out_of_limit:
            notes.append(_("OUT OF LIMITS: {breach}", breach=value.limit_breach))
        if notes:
            flagged.append(index)
        has_limits = value.low_limit is not None or value.high_limit is not None
        remark = fmt.joined(notes, "; ") if notes else (_("within limits") if has_limits else "-")
        rows.append([data_words(value.label), fmt.figure(value.value, value.unit), fmt.unit(value.unit),
                     fmt.limits(value.low_limit, value.high_limit, value.unit),
                     _("{value} by {who}", value=fmt.figure(value.original_value, value.unit),
                       who=_who(value.entered_by, value.entered_at, zone)), remark])
    pdf.grid([_("Value"), _("Current"), _("Unit"), _("Limits"), _("First entered"), _("Remarks")], rows,
             (2.2, 1.5, 0.9, 1.3, 3.2, 2.4), flagged=flagged)
    corrections: list[list[Words]] = [[data_words(value.label), fmt.quantity(c.old_value, value.unit),
                                       fmt.quantity(c.new_value, value.unit), c.reason, c.corrected_by,
                                       fmt.local(c.corrected_at, zone)]
                                      for value in step.values for c in value.corrections]
    if corrections:
        pdf.heading(_("Corrections (old value -> new value)"), size=SIZES.body_pt, space=12)
        pdf.grid([_("Value"), _("Old value"), _("New value"), _("Reason"), _("Corrected by"),
                  _("Date and time")], corrections, (1.8, 1.3, 1.3, 3.2, 1.7, 1.9))


def _step_section(pdf: RecordPdf, step: StepEntry, zone: str) -> None:
    pdf.heading(_("{ordinal}. {title}", ordinal=step.ordinal, title=data_words(step.title)), space=40)
    pdf.facts([
        (_("Step"), _("{code}, station {station}", code=step.code, station=step.station or "-")),
        (_("State"), fmt.words(step.state)),
        (_("Started"), _who(step.started_by, step.started_at, zone)),
        (_("Completed"), _who(step.completed_by, step.completed_at, zone)),
        (_("Verified"), _who(step.verified_by, step.verified_at, zone)),
    ])
    _values(pdf, step, zone)
    vessels = [*step.vessels_in, *step.vessels_out]
    if vessels:
        pdf.grid([_("In/out"), _("Container"), _("Kind"), _("Identity"), _("Status"), _("Recorded")],
                 [[fmt.words(v.role), str(v.container_id), fmt.words(v.kind),
                   _("{din} {product_code} div {division} flag {flag}", din=v.din, product_code=v.product_code,
                     division=v.division, flag=v.sample_flag), fmt.words(v.status),
                   _who(v.recorded_by, v.recorded_at, zone)] for v in vessels],
                 (0.8, 1, 1.5, 3.2, 1, 3))
    if step.materials:
        pdf.grid([_("Material"), _("Kind"), _("Supplier lot"), _("Expires"), _("Status"), _("Quantity"), _("Used")],
                 [[f"{m.code} {m.description}", fmt.words(m.kind), f"{m.supplier} {m.supplier_lot}",
                   fmt.local(m.expires_at, zone), code_words.material_status(m.status),
                   fmt.quantity(m.quantity, m.unit), _who(m.used_by, m.used_at, zone)] for m in step.materials],
                 (2.2, 1.3, 1.8, 1.7, 1.1, 0.9, 2.6))
    if step.equipment:
        pdf.grid([_("Instrument"), _("Kind"), _("Calibration due"), _("Used")],
                 [[f"{e.code} {e.description}", fmt.words(e.kind), fmt.local(e.calibration_due, zone),
                   _who(e.used_by, e.used_at, zone)] for e in step.equipment],
                 (3, 1.6, 1.8, 3))
    signatures = [s for s in (step.performed_signature, step.verified_signature) if s is not None]
    if signatures:
        pdf.grid(SIGNATURE_COLUMNS, _signature_rows(signatures), (2, 1.8, 1, 1.9, 1.6, 3))
    else:
        pdf.paragraph(_("Not signed yet."), style="I")


def _deviation_section(pdf: RecordPdf, record: BatchRecord) -> None:
    zone = record.display_timezone
    pdf.heading(_("Deviations"))
    if not record.deviations:
        pdf.paragraph(_("No deviation recorded."), style="I")
        return
    for deviation in record.deviations:
        signature = deviation.closed_signature
        pdf.heading(Text("{number} ({state})", (("number", deviation.number), ("state", fmt.words(deviation.state)))),
                    size=SIZES.body_pt + 1, space=30)
        origin: Words = fmt.words(deviation.origin)
        if deviation.step_title:
            origin = _("{origin}, step {step}", origin=origin, step=data_words(deviation.step_title))
        pdf.facts([
            (_("Origin"), origin),
            (_("Opened"), _who(deviation.opened_by, deviation.opened_at, zone)),
            (_("Description"), deviation.description),
            (_("Impact"), deviation.impact or "-"),
            (_("Closure"), deviation.closure or "-"),
            (_("Closed"), _who(deviation.closed_by, deviation.closed_at, zone)),
            (_("Closing signature"), fmt.joined((signature.printed_name, fmt.words(signature.meaning),
                                                 signature.signed_at_local), ", ") if signature is not None else "-"),
        ])


@one_at_a_time
def render_pdf(record: BatchRecord, *, audit_anchor: str | None = None,
               translations: gettext.NullTranslations = ENGLISH) -> bytes:
    """The whole batch record as a PDF document in the language of `translations`; `audit_anchor` is printed in
    every page's footer."""
    header = record.header
    pdf = RecordPdf(SIZES, Running(
        title=_("Batch record - lot DIN {din}", din=header.din_eye_readable),
        note=_("COI {coi} {check} - subject {subject}", coi=header.therapy_coi, check=header.therapy_coi_check,
               subject=header.subject_code),
        footer=_("Lot {din} - printed {moment}", din=header.din,
                 moment=fmt.local(record.generated_at, record.display_timezone)),
        audit_anchor=audit_anchor), document_title=_("Batch record {din}", din=header.din),
        translations=translations)
    _header_section(pdf, record)
    _growth_section(pdf, record)
    pdf.heading(_("Steps"))
    if not record.steps:
        pdf.paragraph(_("No processing step has been started for this lot."), style="I")
    for step in record.steps:
        _step_section(pdf, step, record.display_timezone)
    _deviation_section(pdf, record)
    pdf.heading(_("Signatures"))
    if record.signatures:
        pdf.grid(SIGNATURE_COLUMNS, _signature_rows(record.signatures), (2, 1.8, 1, 1.9, 1.6, 3))
    else:
        pdf.paragraph(_("No signature recorded."), style="I")
    pdf.paragraph(_("The content hash is the SHA-256 of the content each signature was applied to. 'BROKEN' means "
                    "the record was corrected after that signature: the correction is shown with the step."),
                  style="I")
    return pdf.document()
