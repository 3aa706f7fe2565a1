"""The certificate of analysis of a lot as a PDF (fpdf2, shipped fonts, text extractable), A4 portrait.

It names the lot by DIN, COI identifier and subject code (never the patient), lists each test of the
specification with method, limit, result, conformity, status, date and analyst, and carries QA's decision with
the signer's printed name, date and time and meaning. A release pending sterility is marked as such, with both
co-signatures. Headings, labels and fixed sentences are printed in the reader's language (`translations`); what was
recorded is printed as recorded. Times are printed in the site's zone with the zone named (a signature's also in
UTC, the time it is stored in).
"""

from __future__ import annotations

import gettext

from batchtrack.batch_record import formatting as fmt
from batchtrack.documents.layout import RecordPdf, Running, Sizes, Words, one_at_a_time
from batchtrack.i18n import limit_text
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import ENGLISH, Text, _
from batchtrack.models.quality import ReleaseDecisionKind
from batchtrack.release.schemas import CertificatePublic, CertificateTest, SignatureOut

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)
_DECISIONS: dict[str, Text] = {ReleaseDecisionKind.RELEASED.value: _("RELEASED"),
                               ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value: _("RELEASED PENDING STERILITY"),
                               ReleaseDecisionKind.REJECTED.value: _("REJECTED")}
_ROLES: dict[str, Text] = {"medical_director": _("Medical director"), "treating_physician": _("Treating physician")}


def decision_words(decision: str) -> Words:
    """The decision as printed on the certificate (a message; an unknown decision as its code, upper case)."""
    return _DECISIONS.get(decision) or decision.upper()


def conformity(test: CertificateTest) -> Text:
    """Whether the result meets the limit, in words."""
    if test.conforms is None:
        return _("no result") if test.status is None else _("not evaluated")
    return _("conforms") if test.conforms else _("DOES NOT CONFORM")


def signature_line(signature: SignatureOut, zone: str) -> Words:
    """Printed name, meaning, date and time of a signature, in the site's zone and in UTC."""
    return fmt.joined((signature.printed_name, fmt.words(signature.meaning), fmt.signed(signature.signed_at, zone)),
                      ", ")


def _tests(pdf: RecordPdf, certificate: CertificatePublic, zone: str) -> None:
    pdf.heading(_("Results"))
    rows: list[list[Words]] = []
    flagged = []
    for index, test in enumerate(certificate.tests):
        status: Words = fmt.words(test.status) if test.status else "-"
        if test.after_decision:
            status = _("{status} (entered after the decision)", status=status)
        if test.conforms is not True:
            flagged.append(index)
        rows.append([data_words(test.title), data_words(test.method), limit_text.message(test.limit),
                     data_words(test.result), conformity(test), status,
                     fmt.local(test.entered_at, zone), test.analyst or "-"])
    pdf.grid([_("Test"), _("Method"), _("Limit"), _("Result"), _("Conforms"), _("Status"), _("Date and time"),
              _("Analyst")], rows,
             (2.2, 2.4, 1.8, 1.6, 1.2, 1.3, 1.5, 1.4), flagged=flagged)


def _decision(pdf: RecordPdf, certificate: CertificatePublic, zone: str) -> None:
    decision = certificate.decision
    signature = decision.signature
    pdf.heading(_("QA decision"))
    integrities: dict[bool | None, Words] = {True: _("intact: the results are those signed"),
                                             False: _("BROKEN: a signed result changed"), None: "-"}
    integrity = integrities[signature.intact]
    pairs: list[tuple[Words, Words]] = [
        (_("Decision"), decision_words(decision.decision)),
        (_("Signed by"), signature.printed_name),
        (_("Meaning"), fmt.words(signature.meaning)),
        (_("Date and time"), fmt.signed(signature.signed_at, zone)),
        (_("Signature"), integrity)]
    if decision.reason:
        pairs.append((_("Reason"), decision.reason))
    pdf.facts(pairs)
    if decision.decision == ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value or certificate.co_signatures:
        pdf.heading(_("Co-signatures of the release pending sterility"), size=SIZES.body_pt + 1)
        if certificate.co_signatures:
            pdf.facts([(_ROLES.get(c.role) or fmt.words(c.role), signature_line(c.signature, zone))
                       for c in certificate.co_signatures])
        else:
            pdf.paragraph(_("No co-signature recorded."), style="I")


@one_at_a_time
def render_pdf(certificate: CertificatePublic, *, audit_anchor: str | None = None,
               translations: gettext.NullTranslations = ENGLISH, display_timezone: str = "UTC") -> bytes:
    """The certificate of analysis as a PDF document in the language of `translations`, times in the site's zone
    `display_timezone`; `audit_anchor` is printed in every page's footer."""
    c, zone = certificate, display_timezone
    pdf = RecordPdf(SIZES, Running(
        title=_("Certificate of analysis - lot DIN {din}", din=c.din_eye_readable),
        note=_("COI {coi} {check} - subject {subject}", coi=c.therapy_coi, check=c.therapy_coi_check,
               subject=c.subject_code),
        footer=_("Lot {din} - printed {moment}", din=c.din, moment=fmt.local(c.generated_at, zone)),
        audit_anchor=audit_anchor), document_title=_("Certificate of analysis {din}", din=c.din),
        translations=translations)
    pdf.heading(_("Certificate of analysis"), size=16)
    decision = certificate.decision.decision
    if decision == ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value:
        pdf.banner(_("RELEASED PENDING STERILITY: the final sterility result was not available at release. "
                     "A positive result raises an alert to the clinic and an investigation."))
    elif decision == ReleaseDecisionKind.REJECTED.value:
        pdf.banner(_("REJECTED: this lot must not be infused."))
    pdf.facts([
        ("DIN", _("{eye_readable}   ({din}, check character {check})", eye_readable=certificate.din_eye_readable,
                  din=certificate.din, check=certificate.din_check)),
        (_("COI identifier"), f"{certificate.therapy_coi} {certificate.therapy_coi_check}"),
        (_("Subject"), certificate.subject_code),
        (_("Product code"), certificate.product_code),
        (_("Lot state"), fmt.words(certificate.lot_state)),
        (_("Lot expires"), fmt.local(certificate.expires_at, zone)),
        (_("Specification"), _("{code} version {version} - {title}", code=certificate.specification_code,
                               version=certificate.specification_version,
                               title=data_words(certificate.specification_title))),
    ])
    _tests(pdf, certificate, zone)
    _decision(pdf, certificate, zone)
    pdf.paragraph(_("Printed {moment}. Times are in the site's time zone, {zone}. The recipient's identity is not "
                    "printed on this certificate: it is identified by the subject code.",
                    moment=fmt.local(certificate.generated_at, zone), zone=zone), style="I")
    return pdf.document()
