"""The certificate of analysis of a lot as a PDF (fpdf2, shipped fonts, text extractable), A4 portrait.

It names the lot by DIN, COI identifier and subject code (never the patient), lists each test of the
specification with method, limit, result, conformity, status, date and analyst, and carries QA's decision with
the signer's printed name, date and time (UTC) and meaning. A release pending sterility is marked as such, with
both co-signatures.
"""

from __future__ import annotations

from batchtrack.batch_record import formatting as fmt
from batchtrack.documents.layout import RecordPdf, Running, Sizes, one_at_a_time
from batchtrack.models.quality import ReleaseDecisionKind
from batchtrack.release.schemas import CertificatePublic, CertificateTest, SignatureOut

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)
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


def _tests(pdf: RecordPdf, certificate: CertificatePublic) -> None:
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


def _decision(pdf: RecordPdf, certificate: CertificatePublic) -> None:
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
        pdf.heading("Co-signatures of the release pending sterility", size=SIZES.body_pt + 1)
        if certificate.co_signatures:
            pdf.facts([(_ROLES.get(c.role, c.role), signature_line(c.signature)) for c in certificate.co_signatures])
        else:
            pdf.paragraph("No co-signature recorded.", style="I")


@one_at_a_time
def render_pdf(certificate: CertificatePublic, *, audit_anchor: str | None = None) -> bytes:
    """The certificate of analysis as a PDF document; `audit_anchor` is printed in every page's footer."""
    c = certificate
    pdf = RecordPdf(SIZES, Running(
        title=f"Certificate of analysis - lot DIN {c.din_eye_readable}",
        note=f"COI {c.therapy_coi} {c.therapy_coi_check} - subject {c.subject_code}",
        footer=f"Lot {c.din} - printed {fmt.utc(c.generated_at)}",
        audit_anchor=audit_anchor), document_title=f"Certificate of analysis {c.din}")
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
    return pdf.document()
