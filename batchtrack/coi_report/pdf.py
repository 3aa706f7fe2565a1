"""The chain-of-identity report as a PDF printout (fpdf2, shipped fonts, text extractable), A4 landscape.

Every page carries the therapy's COI identifier with its check character, "page X of Y" and, when given, the audit
anchor. DINs are printed with their check characters. The recipient's name and date of birth appear only in a
report assembled for a role that may see them. Long texts (a 4,000-character reason) wrap and continue on the
next page.
"""

from __future__ import annotations

from datetime import datetime

from batchtrack.batch_record import formatting as fmt
from batchtrack.coi_report import events
from batchtrack.coi_report.record import CoiReport, LotEntry, SignatureEntry
from batchtrack.documents.layout import RecordPdf, Running, Sizes, one_at_a_time

SIZES = Sizes(orientation="landscape", margin=10.0, body_pt=9.0, small_pt=7.0, table_line=3.4, table_padding=0.7)


def _who(name: str | None, at: datetime | None) -> str:
    if not name:
        return fmt.utc(at) if at is not None else "-"
    return f"{name}, {fmt.utc(at)}" if at is not None else name


def _signature(signature: SignatureEntry | None) -> str:
    if signature is None:
        return "-"
    return f"{signature.printed_name}, {signature.meaning}, {fmt.utc(signature.signed_at)}"


def _summary(pdf: RecordPdf, report: CoiReport) -> None:
    therapy, recipient, donor = report.therapy, report.recipient, report.donor
    pdf.heading("Chain-of-identity report", size=16)
    pairs = [("COI identifier", f"{therapy.coi_eye_readable}   ({therapy.coi}, check character {therapy.coi_check})"),
             ("Subject", recipient.subject_code)]
    if recipient.identity_shown:
        pairs += [("Recipient", recipient.name or "-"),
                  ("Date of birth", recipient.date_of_birth.isoformat() if recipient.date_of_birth else "-")]
    else:
        pairs.append(("Recipient", "name and date of birth are not shown to your role"))
    donor_text = f"{donor.donor_code}, {fmt.words(donor.kind)}"
    donor_text += " (the recipient)" if donor.is_recipient else f"; eligibility {donor.eligibility or 'not recorded'}"
    if donor.hla_match:
        donor_text += f"; HLA match {donor.hla_match}"
    eligibility = report.eligibility
    pairs += [
        ("Donor", donor_text),
        ("Product code", therapy.product_code),
        ("Therapy state", fmt.words(therapy.state)),
        ("Opened", _who(therapy.opened_by, therapy.opened_at)),
        ("Eligibility", "-" if eligibility is None else
         f"{eligibility.protocol_id} version {eligibility.protocol_version}: signed by "
         f"{_signature(eligibility.signature)}"),
        ("Printed", f"{fmt.utc(report.generated_at)}; times are UTC"),
    ]
    pdf.facts(pairs, label_share=0.2)


def _identifiers(pdf: RecordPdf, report: CoiReport) -> None:
    pdf.heading("Collections")
    pdf.grid(["DIN with check character", "Eye-readable", "State", "Scheduled", "Collected", "Volume, site",
              "Received"],
             [[c.din_with_check, c.din_eye_readable, fmt.words(c.state), fmt.utc(c.scheduled_for),
               _who(c.collector, c.collected_at),
               f"{fmt.number(c.volume_ml)} mL, {c.site or '-'}" if c.volume_ml is not None else c.site or "-",
               "; ".join(f"{fmt.words(r.decision)}, {events.temperature(r.temperature_c)}, "
                         f"{_who(r.received_by, r.received_at)}" for r in c.receipts) or "-"]
              for c in report.collections],
             (1.6, 1.6, 0.9, 1.4, 2, 1.6, 2.6), empty="No collection recorded.")
    pdf.heading("Lots")
    pdf.grid(["DIN with check character", "State", "Specification", "Expires", "Release decision",
              "Signature", "Labels printed / applied / voided / destroyed"],
             [_lot_row(lot) for lot in report.lots], (1.6, 1, 1.4, 1.4, 1.8, 2.4, 2),
             flagged=[i for i, lot in enumerate(report.lots) if not lot.labels.balanced], empty="No lot recorded.")
    pdf.heading("Containers")
    pdf.grid(["Id", "Kind", "DIN with check character", "Product code", "Division", "Flag", "Status", "Lot"],
             [[str(c.id), fmt.words(c.kind), c.din_with_check, c.product_code or "-", c.division, c.sample_flag,
               fmt.words(c.status), c.lot_din or c.collection_din or "-"] for c in report.containers],
             (0.5, 1.3, 1.7, 1.2, 0.8, 0.6, 1, 1.5), empty="No container recorded.")


def _lot_row(lot: LotEntry) -> list[str]:
    release = lot.release
    counts = lot.labels
    labels = f"{counts.printed} / {counts.applied} / {counts.voided} / {counts.destroyed}"
    labels += "" if counts.balanced else " - NOT RECONCILED"
    return [lot.din_with_check, fmt.words(lot.state), lot.specification or "-", fmt.utc(lot.expires_at),
            "-" if release is None else _who(f"{fmt.words(release.decision)} by {release.decided_by}",
                                             release.decided_at),
            _signature(release.signature if release is not None else None), labels]


def _custody_and_labels(pdf: RecordPdf, report: CoiReport) -> None:
    pdf.heading("Custody hand-overs")
    pdf.grid(["When", "Container", "Handed over by", "Received by", "Where", "Temperature", "Note"],
             [[fmt.utc(h.occurred_at), h.container, h.handed_over_by, h.received_by, h.location,
               events.temperature(h.temperature_c), h.note or "-"] for h in report.custody],
             (1.5, 2, 1.5, 1.5, 1.7, 0.8, 1.6), empty="No hand-over recorded.")
    pdf.heading("Label prints")
    pdf.grid(["Printed", "Template", "Labels", "Printer", "Reprint reason", "Where the labels ended"],
             [[_who(p.printed_by, p.printed_at), f"{fmt.words(p.template_kind)} version {p.template_version}",
               f"{p.copies} ({p.output_format})", p.printer or "-",
               p.reprint_reason if p.is_reprint else "-",
               "; ".join(f"#{label.id} {label.container}: {label.status}"
                         + (f" ({label.closed_reason})" if label.closed_reason else "") for label in p.labels)]
              for p in report.label_prints],
             (1.8, 1.5, 0.7, 1.1, 1.7, 3.4), flagged=[i for i, p in enumerate(report.label_prints) if p.is_reprint],
             empty="No label printed.")


def _quality_and_bedside(pdf: RecordPdf, report: CoiReport) -> None:
    pdf.heading("Deviations")
    pdf.grid(["Number", "Lot", "State", "Description", "Opened", "Closure", "Closing signature"],
             [[d.number, d.lot_din, fmt.words(d.state), d.description, _who(d.opened_by, d.opened_at),
               d.closure or "-", _signature(d.closed_signature)] for d in report.deviations],
             (1.1, 1.2, 0.7, 2.6, 1.8, 2.2, 2), empty="No deviation recorded.")
    pdf.heading("Bedside checks")
    pdf.grid(["When", "Container", "Result", "Clinicians", "Reasons", "Dose (cells)"],
             [[fmt.utc(c.checked_at), c.container or "-", "passed" if c.ok else "REFUSED",
               " and ".join(n for n in (c.first_clinician, c.second_clinician) if n),
               ("; ".join(f"{r.code}: {r.message}" for r in c.reasons) or "-")
               + (f" (deviation {c.deviation_number})" if c.deviation_number else ""),
               f"{fmt.number(c.dose_cells)} of {fmt.number(c.dose_target_cells)}" if c.dose_cells is not None
               else "-"] for c in report.bedside_checks],
             (1.5, 2, 0.8, 2.2, 3.5, 1.6), flagged=[i for i, c in enumerate(report.bedside_checks) if not c.ok],
             empty="No bedside check recorded.")
    pdf.heading("Infusions")
    pdf.grid(["Container", "Started", "Ended", "Volume", "Adverse reactions", "First signature",
              "Second signature"],
             [[f.container, fmt.utc(f.started_at), fmt.utc(f.ended_at), f"{fmt.number(f.volume_ml)} mL",
               (f.adverse_reactions or "none recorded") if f.adverse_reactions is not None
               else ("recorded (shown to clinical roles)" if f.adverse_reactions_recorded else "none recorded"),
               _signature(f.first_signature), _signature(f.second_signature)] for f in report.infusions],
             (1.8, 1.4, 1.4, 0.7, 1.8, 2, 2), empty="No infusion recorded.")


def _signatures_and_events(pdf: RecordPdf, report: CoiReport) -> None:
    pdf.heading("Electronic signatures")
    pdf.grid(["Signs", "Printed name", "Meaning", "Date and time (UTC)", "Content SHA-256"],
             [[s.signed_for, s.printed_name, s.meaning, fmt.utc(s.signed_at), s.content_hash]
              for s in report.signatures], (2.5, 1.6, 0.8, 1.4, 3.5), empty="No signature recorded.")
    pdf.heading("Events, oldest first")
    pdf.grid(["When (UTC)", "Event", "What", "Details", "By", "Signed"],
             [[fmt.utc(e.at), e.title, e.subject, e.detail or "-", e.by or "-",
               "; ".join(f"{s.printed_name} ({s.meaning})" for s in e.signatures) or "-"] for e in report.events],
             (1.4, 1.8, 1.9, 3, 1.4, 1.5), empty="No event recorded.")


@one_at_a_time
def render_pdf(report: CoiReport, *, audit_anchor: str | None = None) -> bytes:
    """The whole chain-of-identity report as a PDF document; `audit_anchor` is printed in every page's footer."""
    pdf = RecordPdf(SIZES, Running(
        title=f"Chain-of-identity report - COI {report.coi_with_check}",
        note=f"subject {report.recipient.subject_code}",
        footer=f"COI {report.coi_with_check} - printed {fmt.utc(report.generated_at)}",
        audit_anchor=audit_anchor), document_title=f"Chain-of-identity report {report.therapy.coi}")
    _summary(pdf, report)
    _identifiers(pdf, report)
    _custody_and_labels(pdf, report)
    _quality_and_bedside(pdf, report)
    _signatures_and_events(pdf, report)
    return pdf.document()
