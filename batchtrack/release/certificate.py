"""The certificate of analysis of a lot as a PDF (fpdf2, core Helvetica, text extractable), A4 portrait.

It names the lot by DIN, COI identifier and subject code (never the patient), lists each test of the
specification with method, limit, result, conformity, status, date and analyst, and carries QA's decision with
the signer's printed name, date and time (UTC) and meaning. A release pending sterility is marked as such, with
both co-signatures.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from batchtrack.batch_record import formatting as fmt
from batchtrack.batch_record.pdf import text
from batchtrack.models.quality import ReleaseDecisionKind
from batchtrack.release.schemas import CertificatePublic, CertificateTest, SignatureOut

FONT = "Helvetica"
MARGIN_MM = 12.0
BODY_PT, SMALL_PT = 9.0, 7.5
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(232, 232, 232))
_FLAG = FontFace(emphasis="BOLD")
PAGE_COUNT_ALIAS = "{certificate-page-count}"
_DECISIONS = {ReleaseDecisionKind.RELEASED.value: "RELEASED",
              ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value: "RELEASED PENDING STERILITY",
              ReleaseDecisionKind.REJECTED.value: "REJECTED"}
_ROLES = {"medical_director": "Medical director", "treating_physician": "Treating physician"}


def decision_words(decision: str) -> str:
    """The decision as printed on the certificate."""
    return _DECISIONS.get(decision, decision.upper())


def conformity(test: CertificateTest) -> str:
    """Whether the result meets the limit, in words."""
    if test.conforms is None:
        return "no result" if test.status is None else "not evaluated"
    return "conforms" if test.conforms else "DOES NOT CONFORM"


def signature_line(signature: SignatureOut) -> str:
    """Printed name, meaning, date and time (UTC) of a signature."""
    return f"{signature.printed_name}, {signature.meaning}, {fmt.utc(signature.signed_at)}"


class _CertificatePdf(FPDF):
    """A4 pages with the lot's identity in the header and the page count in the footer."""

    def __init__(self, certificate: CertificatePublic) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.certificate = certificate
        self.set_margins(MARGIN_MM, MARGIN_MM + 6, MARGIN_MM)
        self.set_auto_page_break(True, margin=MARGIN_MM + 4)

    def header(self) -> None:
        c = self.certificate
        self.set_xy(MARGIN_MM, 7)
        self.set_font(FONT, "B", SMALL_PT)
        self.cell(self.epw / 2, 4, text(f"Certificate of analysis - lot DIN {c.din_eye_readable}"))
        self.set_font(FONT, "", SMALL_PT)
        self.cell(self.epw / 2, 4, text(f"COI {c.therapy_coi} {c.therapy_coi_check} - subject {c.subject_code}"),
                  align="R")
        self.line(MARGIN_MM, 12, self.w - MARGIN_MM, 12)
        self.set_xy(MARGIN_MM, MARGIN_MM + 6)

    def footer(self) -> None:
        self.set_y(-MARGIN_MM)
        self.set_font(FONT, "", SMALL_PT)
        c = self.certificate
        self.cell(self.epw / 2, 4, text(f"Lot {c.din} - printed {fmt.utc(c.generated_at)}"))
        self.cell(self.epw / 2, 4, f"page {self.page_no()} of {PAGE_COUNT_ALIAS}", align="R")

    def heading(self, title: str, size: float = 12.0) -> None:
        """A heading kept with what follows it."""
        if self.will_page_break(20):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text(title), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, value: str, *, style: str = "") -> None:
        """A line of body text."""
        self.set_font(FONT, style, BODY_PT)
        self.multi_cell(0, 4.5, text(value), new_x="LMARGIN", new_y="NEXT")

    def facts(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label and value pairs, one per line."""
        label_width = self.epw / 4
        for label, value in pairs:
            self.set_font(FONT, "B", BODY_PT)
            self.cell(label_width, 4.5, text(label))
            self.set_font(FONT, "", BODY_PT)
            self.multi_cell(self.epw - label_width, 4.5, text(value), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def banner(self, value: str) -> None:
        """A boxed, bold statement that cannot be missed."""
        self.set_font(FONT, "B", 11)
        self.set_fill_color(255, 244, 214)
        self.multi_cell(0, 6, text(value), border=1, fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
             *, flagged: Sequence[int] = ()) -> None:
        """A table with a heading row repeated on each page; rows whose index is in `flagged` are bold."""
        self.set_font(FONT, "", SMALL_PT)
        with self.table(col_widths=tuple(widths), text_align="LEFT", headings_style=_HEADINGS,
                        line_height=3.6, padding=0.8, width=self.epw) as table:
            heading_row = table.row()
            for heading in headings:
                heading_row.cell(text(heading))
            for index, row in enumerate(rows):
                cells = table.row(style=_FLAG if index in flagged else None)
                for value in row:
                    cells.cell(text(value))
        self.ln(2)


def _tests(pdf: _CertificatePdf, certificate: CertificatePublic) -> None:
    pdf.heading("Results")
    rows, flagged = [], []
    for index, test in enumerate(certificate.tests):
        status = test.status or "-"
        if test.after_decision:
            status += " (entered after the decision)"
        if test.conforms is not True:
            flagged.append(index)
        rows.append([test.title, test.method, test.limit, test.result, conformity(test), status,
                     fmt.utc(test.entered_at), test.analyst or "-"])
    pdf.grid(["Test", "Method", "Limit", "Result", "Conforms", "Status", "Date (UTC)", "Analyst"], rows,
             (2.2, 2.4, 1.8, 1.6, 1.2, 1.3, 1.5, 1.4), flagged=flagged)


def _decision(pdf: _CertificatePdf, certificate: CertificatePublic) -> None:
    decision = certificate.decision
    signature = decision.signature
    pdf.heading("QA decision")
    integrity = {True: "intact: the results are those signed", False: "BROKEN: a signed result changed",
                 None: "-"}[signature.intact]
    pairs = [("Decision", decision_words(decision.decision)),
             ("Signed by", signature.printed_name),
             ("Meaning", signature.meaning),
             ("Date and time", fmt.utc(signature.signed_at)),
             ("Signature", integrity)]
    if decision.reason:
        pairs.append(("Reason", decision.reason))
    pdf.facts(pairs)
    if decision.decision == ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value or certificate.co_signatures:
        pdf.heading("Co-signatures of the release pending sterility", size=BODY_PT + 1)
        if certificate.co_signatures:
            pdf.facts([(_ROLES.get(c.role, c.role), signature_line(c.signature)) for c in certificate.co_signatures])
        else:
            pdf.paragraph("No co-signature recorded.", style="I")


def render_pdf(certificate: CertificatePublic) -> bytes:
    """The certificate of analysis as a PDF document."""
    pdf = _CertificatePdf(certificate)
    pdf.set_title(text(f"Certificate of analysis {certificate.din}"))
    pdf.set_creator("batchtrack")
    pdf.alias_nb_pages(PAGE_COUNT_ALIAS)
    pdf.add_page()
    pdf.heading("Certificate of analysis", size=16)
    decision = certificate.decision.decision
    if decision == ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value:
        pdf.banner("RELEASED PENDING STERILITY: the final sterility result was not available at release. "
                   "A positive result raises an alert to the clinic and an investigation.")
    elif decision == ReleaseDecisionKind.REJECTED.value:
        pdf.banner("REJECTED: this lot must not be infused.")
    pdf.facts([
        ("DIN", f"{certificate.din_eye_readable}   ({certificate.din}, check character {certificate.din_check})"),
        ("COI identifier", f"{certificate.therapy_coi} {certificate.therapy_coi_check}"),
        ("Subject", certificate.subject_code),
        ("Product code", certificate.product_code),
        ("Lot state", fmt.words(certificate.lot_state)),
        ("Lot expires", fmt.utc(certificate.expires_at)),
        ("Specification", f"{certificate.specification_code} version {certificate.specification_version} - "
                          f"{certificate.specification_title}"),
    ])
    _tests(pdf, certificate)
    _decision(pdf, certificate)
    pdf.paragraph(f"Printed {fmt.utc(certificate.generated_at)}. Times are UTC. The recipient's identity is not "
                  "printed on this certificate: it is identified by the subject code.", style="I")
    return bytes(pdf.output())
