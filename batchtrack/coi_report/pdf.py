"""The chain-of-identity report as a PDF printout (fpdf2, core Helvetica, text extractable), A4 landscape.

Every page carries the therapy's COI identifier with its check character and "page X of Y". DINs are printed
with their check characters. The recipient's name and date of birth appear only in a report assembled for a
role that may see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from batchtrack.batch_record import formatting as fmt
from batchtrack.batch_record import pdf as record_pdf
from batchtrack.coi_report import events
from batchtrack.coi_report.record import CoiReport, LotEntry, SignatureEntry

FONT = "Helvetica"
MARGIN_MM = 10.0
BODY_PT, SMALL_PT, HEADING_PT = 9.0, 7.0, 12.0
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(232, 232, 232))
_FLAG = FontFace(emphasis="BOLD")
# Replaced by the page count when the document is written; spelled so no recorded text contains it by chance.
PAGE_COUNT_ALIAS = "{coi-report-page-count}"


class _ReportPdf(FPDF):
    """A4 landscape pages with the COI identifier in the header and the page count in the footer."""

    def __init__(self, report: CoiReport) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.report = report
        self.set_margins(MARGIN_MM, MARGIN_MM + 6, MARGIN_MM)
        self.set_auto_page_break(True, margin=MARGIN_MM + 4)

    def header(self) -> None:
        self.set_xy(MARGIN_MM, 6)
        self.set_font(FONT, "B", SMALL_PT + 0.5)
        self.cell(self.epw / 2, 4, record_pdf.text(f"Chain-of-identity report - COI {self.report.coi_with_check}"))
        self.set_font(FONT, "", SMALL_PT + 0.5)
        self.cell(self.epw / 2, 4, record_pdf.text(f"subject {self.report.recipient.subject_code}"), align="R")
        self.line(MARGIN_MM, 11, self.w - MARGIN_MM, 11)
        self.set_xy(MARGIN_MM, MARGIN_MM + 6)

    def footer(self) -> None:
        self.set_y(-MARGIN_MM)
        self.set_font(FONT, "", SMALL_PT)
        self.cell(self.epw / 2, 4, record_pdf.text(f"COI {self.report.coi_with_check} - printed "
                                        f"{fmt.utc(self.report.generated_at)}"))
        self.cell(self.epw / 2, 4, f"page {self.page_no()} of {PAGE_COUNT_ALIAS}", align="R")

    def heading(self, title: str, size: float = HEADING_PT, space: float = 20) -> None:
        """A heading kept together with at least `space` mm of what follows it."""
        if self.will_page_break(space):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, record_pdf.text(title), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, value: str, *, style: str = "") -> None:
        """A line of body text."""
        self.set_font(FONT, style, BODY_PT)
        self.multi_cell(0, 4.5, record_pdf.text(value), new_x="LMARGIN", new_y="NEXT")

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
             *, flagged: Sequence[int] = (), empty: str = "None recorded.") -> None:
        """A table with a heading row repeated on each page; rows whose index is in `flagged` are bold."""
        if not rows:
            self.paragraph(empty, style="I")
            return
        self.set_font(FONT, "", SMALL_PT)
        with self.table(col_widths=tuple(widths), text_align="LEFT", headings_style=_HEADINGS,
                        line_height=3.4, padding=0.7, width=self.epw) as table:
            heading_row = table.row()
            for heading in headings:
                heading_row.cell(record_pdf.text(heading))
            for index, row in enumerate(rows):
                cells = table.row(style=_FLAG if index in flagged else None)
                for value in row:
                    cells.cell(record_pdf.text(value))
        self.ln(2)

    def facts(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label and value pairs."""
        label_width = self.epw / 5
        for label, value in pairs:
            if self.will_page_break(4.5):
                self.add_page()
            self.set_font(FONT, "B", BODY_PT)
            self.cell(label_width, 4.5, record_pdf.text(label))
            self.set_font(FONT, "", BODY_PT)
            self.multi_cell(self.epw - label_width, 4.5, record_pdf.text(value), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)


def _who(name: str | None, at: datetime | None) -> str:
    if not name:
        return fmt.utc(at) if at is not None else "-"
    return f"{name}, {fmt.utc(at)}" if at is not None else name


def _signature(signature: SignatureEntry | None) -> str:
    if signature is None:
        return "-"
    return f"{signature.printed_name}, {signature.meaning}, {fmt.utc(signature.signed_at)}"


def _summary(pdf: _ReportPdf, report: CoiReport) -> None:
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
    pdf.facts(pairs)


def _identifiers(pdf: _ReportPdf, report: CoiReport) -> None:
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


def _custody_and_labels(pdf: _ReportPdf, report: CoiReport) -> None:
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


def _quality_and_bedside(pdf: _ReportPdf, report: CoiReport) -> None:
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


def _signatures_and_events(pdf: _ReportPdf, report: CoiReport) -> None:
    pdf.heading("Electronic signatures")
    pdf.grid(["Signs", "Printed name", "Meaning", "Date and time (UTC)", "Content SHA-256"],
             [[s.signed_for, s.printed_name, s.meaning, fmt.utc(s.signed_at), s.content_hash]
              for s in report.signatures], (2.5, 1.6, 0.8, 1.4, 3.5), empty="No signature recorded.")
    pdf.heading("Events, oldest first")
    pdf.grid(["When (UTC)", "Event", "What", "Details", "By", "Signed"],
             [[fmt.utc(e.at), e.title, e.subject, e.detail or "-", e.by or "-",
               "; ".join(f"{s.printed_name} ({s.meaning})" for s in e.signatures) or "-"] for e in report.events],
             (1.4, 1.8, 1.9, 3, 1.4, 1.5), empty="No event recorded.")


def render_pdf(report: CoiReport) -> bytes:
    """The whole chain-of-identity report as a PDF document."""
    pdf = _ReportPdf(report)
    pdf.set_title(record_pdf.text(f"Chain-of-identity report {report.therapy.coi}"))
    pdf.set_creator("batchtrack")
    pdf.alias_nb_pages(PAGE_COUNT_ALIAS)
    pdf.add_page()
    _summary(pdf, report)
    _identifiers(pdf, report)
    _custody_and_labels(pdf, report)
    _quality_and_bedside(pdf, report)
    _signatures_and_events(pdf, report)
    return bytes(pdf.output())
