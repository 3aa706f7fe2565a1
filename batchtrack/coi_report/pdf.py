"""The chain-of-identity report as a PDF printout (fpdf2, shipped fonts, text extractable), A4 landscape.

Every page carries the therapy's COI identifier with its check character, "page X of Y" and, when given, the audit
anchor. DINs are printed with their check characters. The recipient's name and date of birth appear only in a
report assembled for a role that may see them, as the recipient writes it and romanised. Long texts (a
4,000-character reason) wrap and continue on the next page. Headings, labels and fixed sentences are printed in the
reader's language (`translations`); what was recorded is printed as recorded. Times are printed in the site's zone
with the zone named (signatures also in UTC, the time they are stored in), numbers as people read them.
"""

from __future__ import annotations

import gettext
from datetime import datetime

from batchtrack.batch_record import formatting as fmt
from batchtrack.coi_report import events
from batchtrack.coi_report.record import (
    CoiReport,
    LabelEntry,
    LotEntry,
    RecipientEntry,
    SignatureEntry,
)
from batchtrack.documents.layout import RecordPdf, Running, Sizes, Words, one_at_a_time
from batchtrack.i18n.text import ENGLISH, Text, _
from batchtrack.people import names

SIZES = Sizes(orientation="landscape", margin=10.0, body_pt=9.0, small_pt=7.0, table_line=3.4, table_padding=0.7)


def _who(name: str | None, at: datetime | None, zone: str) -> str:
    if not name:
        return fmt.local(at, zone) if at is not None else "-"
    return f"{name}, {fmt.local(at, zone)}" if at is not None else name


def _signature(signature: SignatureEntry | None) -> Words:
    if signature is None:
        return "-"
    return fmt.joined((signature.printed_name, fmt.words(signature.meaning), signature.signed_at_local), ", ")


def _signer(signature: SignatureEntry) -> Words:
    """Who signed and what the signature means: 'Kim Minji (performed)'."""
    return Text("{name} ({meaning})", (("name", signature.printed_name), ("meaning", fmt.words(signature.meaning))))


def _recipient(recipient: RecipientEntry) -> list[tuple[Words, Words]]:
    """The recipient's name as written and romanised, and date of birth; or that the role may not see them."""
    if not recipient.identity_shown:
        return [(_("Recipient"), _("name and date of birth are not shown to your role"))]
    written = names.written(recipient.family_name or "", recipient.given_name or "")
    romanised = names.romanised(recipient.family_name_latin, recipient.given_name_latin)
    return [(_("Recipient"), written or "-"),
            (_("Romanised name"), romanised or _("not recorded")),
            (_("Date of birth"), recipient.date_of_birth.isoformat() if recipient.date_of_birth else "-")]


def _summary(pdf: RecordPdf, report: CoiReport) -> None:
    therapy, recipient, donor, zone = report.therapy, report.recipient, report.donor, report.display_timezone
    pdf.heading(_("Chain-of-identity report"), size=16)
    pairs: list[tuple[Words, Words]] = [
        (_("COI identifier"), _("{eye_readable}   ({coi}, check character {check})",
                                eye_readable=therapy.coi_eye_readable, coi=therapy.coi, check=therapy.coi_check)),
        (_("Subject"), recipient.subject_code),
        *_recipient(recipient)]
    donor_text: Words = fmt.joined((donor.donor_code, fmt.words(donor.kind)), ", ")
    if donor.is_recipient:
        donor_text = _("{donor} (the recipient)", donor=donor_text)
    else:
        donor_text = _("{donor}; eligibility {eligibility}", donor=donor_text,
                       eligibility=fmt.words(donor.eligibility) if donor.eligibility else _("not recorded"))
    if donor.hla_match:
        donor_text = _("{donor}; HLA match {match}", donor=donor_text, match=donor.hla_match)
    eligibility = report.eligibility
    pairs += [
        (_("Donor"), donor_text),
        (_("Product code"), therapy.product_code),
        (_("Therapy state"), fmt.words(therapy.state)),
        (_("Opened"), _who(therapy.opened_by, therapy.opened_at, zone)),
        (_("Eligibility"), "-" if eligibility is None else
         _("{protocol} version {version}: signed by {signature}", protocol=eligibility.protocol_id,
           version=eligibility.protocol_version, signature=_signature(eligibility.signature))),
        (_("Printed"), _("{moment}; times in the site's time zone, {zone}",
                          moment=fmt.local(report.generated_at, zone), zone=zone)),
    ]
    pdf.facts(pairs, label_share=0.2)


def _identifiers(pdf: RecordPdf, report: CoiReport) -> None:
    zone = report.display_timezone
    pdf.heading(_("Collections"))
    pdf.grid([_("DIN with check character"), _("Eye-readable"), _("State"), _("Scheduled"), _("Collected"),
              _("Volume, site"), _("Received")],
             [[c.din_with_check, c.din_eye_readable, fmt.words(c.state), fmt.local(c.scheduled_for, zone),
               _who(c.collector, c.collected_at, zone),
               f"{fmt.quantity(c.volume_ml, 'mL')}, {c.site or '-'}" if c.volume_ml is not None else c.site or "-",
               fmt.joined([fmt.joined((fmt.words(r.decision), events.temperature(r.temperature_c),
                                       _who(r.received_by, r.received_at, zone)), ", ") for r in c.receipts], "; ")
               if c.receipts else "-"]
              for c in report.collections],
             (1.6, 1.6, 0.9, 1.4, 2, 1.6, 2.6), empty=_("No collection recorded."))
    pdf.heading(_("Lots"))
    pdf.grid([_("DIN with check character"), _("State"), _("Specification"), _("Expires"), _("Release decision"),
              _("Signature"), _("Labels printed / applied / voided / destroyed")],
             [_lot_row(lot, zone) for lot in report.lots], (1.6, 1, 1.4, 1.4, 1.8, 2.4, 2),
             flagged=[i for i, lot in enumerate(report.lots) if not lot.labels.balanced],
             empty=_("No lot recorded."))
    pdf.heading(_("Containers"))
    pdf.grid([_("Id"), _("Kind"), _("DIN with check character"), _("Product code"), _("Division"), _("Flag"),
              _("Status"), _("Lot")],
             [[str(c.id), fmt.words(c.kind), c.din_with_check, c.product_code or "-", c.division, c.sample_flag,
               fmt.words(c.status), c.lot_din or c.collection_din or "-"] for c in report.containers],
             (0.5, 1.3, 1.7, 1.2, 0.8, 0.6, 1, 1.5), empty=_("No container recorded."))


def _lot_row(lot: LotEntry, zone: str) -> list[Words]:
    release = lot.release
    counts = lot.labels
    labels: Words = f"{counts.printed} / {counts.applied} / {counts.voided} / {counts.destroyed}"
    if not counts.balanced:
        labels = _("{counts} - NOT RECONCILED", counts=labels)
    decided: Words = "-"
    if release is not None:
        by = _("{decision} by {who}", decision=fmt.words(release.decision), who=release.decided_by)
        decided = _("{who}, {moment}", who=by, moment=fmt.local(release.decided_at, zone)) if release.decided_at else by
    specification: Words = ("-" if lot.specification_code is None else
                            _("{code} version {version}", code=lot.specification_code,
                              version=lot.specification_version))
    return [lot.din_with_check, fmt.words(lot.state), specification, fmt.local(lot.expires_at, zone),
            decided, _signature(release.signature if release is not None else None), labels]


def _custody_and_labels(pdf: RecordPdf, report: CoiReport) -> None:
    zone = report.display_timezone
    pdf.heading(_("Custody hand-overs"))
    pdf.grid([_("When"), _("Container"), _("Handed over by"), _("Received by"), _("Where"), _("Temperature"),
              _("Note")],
             [[fmt.local(h.occurred_at, zone), h.container, h.handed_over_by, h.received_by, h.location,
               events.temperature(h.temperature_c), h.note or "-"] for h in report.custody],
             (1.5, 2, 1.5, 1.5, 1.7, 0.8, 1.6), empty=_("No hand-over recorded."))
    pdf.heading(_("Label prints"))
    pdf.grid([_("Printed"), _("Template"), _("Labels"), _("Printer"), _("Reprint reason"),
              _("Where the labels ended")],
             [[_who(p.printed_by, p.printed_at, zone), _("{kind} version {version}", kind=fmt.words(p.template_kind),
                                                   version=p.template_version),
               f"{p.copies} ({p.output_format})", p.printer or "-",
               p.reprint_reason if p.is_reprint else "-",
               fmt.joined([_label_end(label) for label in p.labels], "; ")]
              for p in report.label_prints],
             (1.8, 1.5, 0.7, 1.1, 1.7, 3.4), flagged=[i for i, p in enumerate(report.label_prints) if p.is_reprint],
             empty=_("No label printed."))


def _label_end(label: LabelEntry) -> Words:
    """Where a label ended: '#8 final product W0000... A0: destroyed (smudged)', the reason as typed."""
    values = (("id", label.id), ("container", label.container), ("status", fmt.words(label.status)))
    if label.closed_reason:
        return Text("#{id} {container}: {status} ({reason})", (*values, ("reason", label.closed_reason)))
    return Text("#{id} {container}: {status}", values)


def _quality_and_bedside(pdf: RecordPdf, report: CoiReport) -> None:
    zone = report.display_timezone
    pdf.heading(_("Deviations"))
    pdf.grid([_("Number"), _("Lot"), _("State"), _("Description"), _("Opened"), _("Closure"),
              _("Closing signature")],
             [[d.number, d.lot_din, fmt.words(d.state), d.description, _who(d.opened_by, d.opened_at, zone),
               d.closure or "-", _signature(d.closed_signature)] for d in report.deviations],
             (1.1, 1.2, 0.7, 2.6, 1.8, 2.2, 2), empty=_("No deviation recorded."))
    pdf.heading(_("Bedside checks"))
    pdf.grid([_("When"), _("Container"), _("Result"), _("Clinicians"), _("Reasons"), _("Dose (cells)")],
             [[fmt.local(c.checked_at, zone), c.container or "-", _("passed") if c.ok else _("REFUSED"),
               events.clinicians(c.first_clinician, c.second_clinician),
               events.check_reasons(c.reasons, c.deviation_number) or "-",
               _("{dose} of {target}", dose=fmt.figure(c.dose_cells, "cells"),
                 target=fmt.figure(c.dose_target_cells, "cells"))
               if c.dose_cells is not None else "-"] for c in report.bedside_checks],
             (1.5, 2, 0.8, 2.2, 3.5, 1.6), flagged=[i for i, c in enumerate(report.bedside_checks) if not c.ok],
             empty=_("No bedside check recorded."))
    pdf.heading(_("Infusions"))
    pdf.grid([_("Container"), _("Started"), _("Ended"), _("Volume"), _("Adverse reactions"), _("First signature"),
              _("Second signature")],
             [[f.container, fmt.local(f.started_at, zone), fmt.local(f.ended_at, zone), fmt.quantity(f.volume_ml, "mL"),
               (f.adverse_reactions or _("none recorded")) if f.adverse_reactions is not None
               else (_("recorded (shown to clinical roles)") if f.adverse_reactions_recorded else _("none recorded")),
               _signature(f.first_signature), _signature(f.second_signature)] for f in report.infusions],
             (1.8, 1.4, 1.4, 0.7, 1.8, 2, 2), empty=_("No infusion recorded."))


def _signatures_and_events(pdf: RecordPdf, report: CoiReport) -> None:
    zone = report.display_timezone
    pdf.heading(_("Electronic signatures"))
    # The site's time is the reading; the UTC time beside it is the one stored and hashed.
    pdf.grid([_("Signs"), _("Printed name"), _("Meaning"), _("Date and time"), "UTC", _("Content SHA-256")],
             [[s.signed_for, s.printed_name, fmt.words(s.meaning), s.signed_at_local,
               fmt.utc(s.signed_at) if fmt.utc(s.signed_at) != s.signed_at_local else "-", s.content_hash]
              for s in report.signatures], (2.3, 1.5, 0.8, 1.4, 1.4, 3.4), empty=_("No signature recorded."))
    pdf.heading(_("Events, oldest first"))
    pdf.grid([_("When"), _("Event"), _("What"), _("Details"), _("By"), _("Signed")],
             [[fmt.local(e.at, zone), e.title, e.subject, e.detail or "-", e.by or "-",
               fmt.joined([_signer(s) for s in e.signatures], "; ") if e.signatures else "-"] for e in report.events],
             (1.4, 1.8, 1.9, 3, 1.4, 1.5), empty=_("No event recorded."))


@one_at_a_time
def render_pdf(report: CoiReport, *, audit_anchor: str | None = None,
               translations: gettext.NullTranslations = ENGLISH) -> bytes:
    """The whole chain-of-identity report as a PDF document in the language of `translations`; `audit_anchor` is
    printed in every page's footer."""
    pdf = RecordPdf(SIZES, Running(
        title=_("Chain-of-identity report - COI {coi}", coi=report.coi_with_check),
        note=_("subject {subject}", subject=report.recipient.subject_code),
        footer=_("COI {coi} - printed {moment}", coi=report.coi_with_check,
                 moment=fmt.local(report.generated_at, report.display_timezone)),
        audit_anchor=audit_anchor), document_title=_("Chain-of-identity report {coi}", coi=report.therapy.coi),
        translations=translations)
    _summary(pdf, report)
    _identifiers(pdf, report)
    _custody_and_labels(pdf, report)
    _quality_and_bedside(pdf, report)
    _signatures_and_events(pdf, report)
    return pdf.document()
