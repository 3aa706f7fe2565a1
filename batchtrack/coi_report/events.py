"""The chain of identity as one time-ordered list of events, built from the assembled report (pure).

Events that happened at the same instant keep the order of the chain: therapy, collection, lot, containers,
labels, steps, release, hand-overs, bedside, infusion. Every signature of the report is attached to the event
it signs; one that signs none of them gets an event of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from batchtrack.batch_record import formatting as fmt
from batchtrack.coi_report.record import (
    BedsideCheckEntry,
    CoiReport,
    CollectionEntry,
    EventEntry,
    InfusionEntry,
    LabelPrintEntry,
    LotEntry,
    ReasonEntry,
    SignatureEntry,
)
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _


def _signed(*signatures: SignatureEntry | None) -> tuple[SignatureEntry, ...]:
    return tuple(s for s in signatures if s is not None)


def temperature(value: float | None) -> str:
    """A recorded temperature ('4.0°C'), or '-' when none was recorded."""
    return fmt.quantity(value, "\u00b0C")


def _with_typed(detail: str | Text, typed: str) -> str | Text:
    """A detail followed by what a person typed (a note, a reason), which is shown as typed."""
    return fmt.joined((detail, typed), "; ") if typed else detail


def _therapy(report: CoiReport) -> Iterable[EventEntry]:
    therapy, donor = report.therapy, report.donor
    subject = _("subject {subject}", subject=report.recipient.subject_code)
    yield EventEntry(therapy.opened_at, "therapy.opened", _("Therapy opened"), f"COI {report.coi_with_check}",
                     _("subject {subject}; product code {product_code}; donor {donor} ({kind})",
                       subject=report.recipient.subject_code, product_code=therapy.product_code,
                       donor=donor.donor_code, kind=fmt.words(donor.kind)), therapy.opened_by)
    eligibility = report.eligibility
    if eligibility is not None:
        at = eligibility.signature.signed_at if eligibility.signature is not None else eligibility.assessed_at
        yield EventEntry(at, "eligibility.assessed", _("Eligibility assessed: eligible"), subject,
                         _("protocol {protocol} version {version}", protocol=eligibility.protocol_id,
                           version=eligibility.protocol_version),
                         eligibility.assessed_by, _signed(eligibility.signature))
    if donor.eligibility_recorded_at is not None:
        yield EventEntry(donor.eligibility_recorded_at, "donor.eligibility", _("Donor eligibility recorded"),
                         _("donor {donor}", donor=donor.donor_code), fmt.words(donor.eligibility or "-"), "")


def _collection(c: CollectionEntry, zone: str) -> Iterable[EventEntry]:
    subject = _("collection DIN {din}", din=c.din_with_check)
    planned: str | Text = ("" if c.scheduled_for is None
                           else _("planned for {moment}", moment=fmt.local(c.scheduled_for, zone)))
    yield EventEntry(c.created_at, "collection.scheduled", _("Collection scheduled"), subject, planned, "")
    if c.started_at is not None:
        yield EventEntry(c.started_at, "collection.started", _("Collection started"), subject, "", c.collector)
    if c.collected_at is not None:
        volume = fmt.quantity(c.volume_ml, "mL") if c.volume_ml is not None else _("volume not recorded")
        yield EventEntry(c.collected_at, "collection.collected", _("Collected"), subject,
                         fmt.joined((volume, c.site), ", ") if c.site else volume, c.collector)
    for r in c.receipts:
        detail = _("transport {temperature}, {hours} after collection", temperature=temperature(r.temperature_c),
                   hours=fmt.quantity(r.hours_since_collection, "h"))
        received = _("Received at the laboratory: {decision}", decision=fmt.words(r.decision))
        yield EventEntry(r.received_at, "collection.received", received, subject, _with_typed(detail, r.note),
                         r.received_by)


def _lot(lot: LotEntry) -> Iterable[EventEntry]:
    subject = _("lot DIN {din}", din=lot.din_with_check)
    yield EventEntry(lot.created_at, "lot.opened", _("Lot opened"), subject,
                     _("from collection {collections}; product code {product_code}",
                       collections=", ".join(lot.collections) or "-", product_code=lot.product_code), "")
    for step in lot.steps:
        title = data_words(step.title)
        yield EventEntry(step.started_at, "step.started", _("{step}: started", step=title), subject, "",
                         step.started_by)
        if step.completed_at is not None:
            yield EventEntry(step.completed_at, "step.completed", _("{step}: completed", step=title), subject, "",
                             step.completed_by or "", _signed(step.performed_signature))
        if step.verified_at is not None:
            yield EventEntry(step.verified_at, "step.verified", _("{step}: verified", step=title), subject, "",
                             step.verified_by or "", _signed(step.verified_signature))
    release = lot.release
    if release is not None:
        spec = (_("specification {code} version {version}", code=lot.specification_code,
                  version=lot.specification_version)
                if lot.specification_code is not None else _("no specification recorded"))
        decided = _("QA decision: {decision}", decision=fmt.words(release.decision))
        yield EventEntry(release.decided_at, "release.decided", decided, subject, _with_typed(spec, release.reason),
                         release.decided_by, _signed(release.signature))
        for co in release.co_signatures:
            co_signed = _("Co-signed as {role}", role=fmt.words(co.role))
            yield EventEntry(co.signed_at, "release.co_signed", co_signed, subject, _("release pending sterility"),
                             co.signed_by, _signed(co.signature))


def _labels(job: LabelPrintEntry) -> Iterable[EventEntry]:
    containers = fmt.joined([label.container for label in job.labels], ", ") if job.labels else "-"
    template = dict(kind=fmt.words(job.template_kind), version=job.template_version, copies=job.copies,
                    output_format=job.output_format)
    detail = (_("{kind} template version {version}, {copies} label(s), {output_format} to {printer}",
                printer=job.printer, **template) if job.printer
              else _("{kind} template version {version}, {copies} label(s), {output_format}", **template))
    if job.is_reprint:
        detail = _("{detail}; reprint reason: {reason}", detail=detail, reason=job.reprint_reason)
    yield EventEntry(job.printed_at, "label.printed", _("Labels reprinted") if job.is_reprint else _("Labels printed"),
                     containers, detail, job.printed_by)
    for label in job.labels:
        if label.applied_at is not None:
            verified = (_("label #{id}, verified by scan", id=label.id) if label.verified_at is not None
                        else _("label #{id}, NOT verified by scan", id=label.id))
            yield EventEntry(label.applied_at, "label.applied", _("Label applied"), label.container, verified,
                             label.applied_by or "")
        if label.closed_at is not None:
            closed = _("Label {status}", status=fmt.words(label.status))
            yield EventEntry(label.closed_at, f"label.{label.status}", closed, label.container,
                             _("label #{id}; reason: {reason}", id=label.id, reason=label.closed_reason or "-"), "")


def clinicians(first: str | None, second: str | None) -> str | Text:
    """The clinicians of a bedside check ('A and B'), or the one there was."""
    if first and second:
        return _("{first} and {second}", first=first, second=second)
    return first or second or ""


def check_reasons(reasons: Sequence[ReasonEntry], deviation_number: str | None) -> str | Text:
    """Why a bedside check stopped the infusion, as recorded (code: message), and the deviation it opened."""
    listed = "; ".join(f"{r.code}: {r.message}" if r.code else r.message for r in reasons)
    if deviation_number:
        return _("{reasons} (deviation {number})", reasons=listed or "-", number=deviation_number)
    return listed


def _check(check: BedsideCheckEntry) -> EventEntry:
    subject: str | Text = check.container or (_("lot DIN {din}", din=check.lot_din) if check.lot_din
                                              else _("no container identified"))
    by = clinicians(check.first_clinician, check.second_clinician)
    if check.ok:
        dose: str | Text = (_("dose {dose} against {target} prescribed", dose=fmt.quantity(check.dose_cells, "cells"),
                              target=fmt.quantity(check.dose_target_cells, "cells"))
                            if check.dose_cells is not None and check.dose_target_cells is not None else "")
        return EventEntry(check.checked_at, "bedside.passed", _("Bedside check passed"), subject, dose, by)
    return EventEntry(check.checked_at, "bedside.refused", _("Bedside check refused: infusion stopped"), subject,
                      check_reasons(check.reasons, check.deviation_number), by)


def _infusion(infusion: InfusionEntry) -> Iterable[EventEntry]:
    yield EventEntry(infusion.started_at, "infusion.started", _("Infusion started"), infusion.container,
                     _("lot {din}", din=infusion.lot_din), infusion.recorded_by)
    volume = fmt.quantity(infusion.volume_ml, "mL")
    ended = (_("{volume} infused; adverse reactions recorded", volume=volume) if infusion.adverse_reactions_recorded
             else _("{volume} infused; no adverse reaction recorded", volume=volume))
    yield EventEntry(infusion.ended_at, "infusion.ended", _("Infusion ended"), infusion.container, ended,
                     infusion.recorded_by, _signed(infusion.first_signature, infusion.second_signature))


def _chain(report: CoiReport) -> Iterable[EventEntry]:
    yield from _therapy(report)
    for collection in report.collections:
        yield from _collection(collection, report.display_timezone)
    for lot in report.lots:
        yield from _lot(lot)
    for container in report.containers:
        registered = (_("DIN {din}, product code {product_code}", din=container.din_with_check,
                        product_code=container.product_code) if container.product_code
                      else _("DIN {din}", din=container.din_with_check))
        yield EventEntry(container.created_at, "container.registered", _("Container registered"), container.name,
                         registered, "")
    for job in report.label_prints:
        yield from _labels(job)
    for handover in report.custody:
        handed = _("from {giver} to {receiver} at {location}, {temperature}", giver=handover.handed_over_by,
                   receiver=handover.received_by, location=handover.location,
                   temperature=temperature(handover.temperature_c))
        yield EventEntry(handover.occurred_at, "custody.handed_over", _("Handed over"), handover.container,
                         _with_typed(handed, handover.note), handover.recorded_by)
    for deviation in report.deviations:
        subject = _("{number} on lot {din}", number=deviation.number, din=deviation.lot_din)
        yield EventEntry(deviation.opened_at, "deviation.opened", _("Deviation opened"), subject, deviation.description,
                         deviation.opened_by)
        if deviation.closed_at is not None:
            yield EventEntry(deviation.closed_at, "deviation.closed", _("Deviation closed"), subject, deviation.closure,
                             deviation.closed_by or "", _signed(deviation.closed_signature))
    for check in report.bedside_checks:
        yield _check(check)
    for infusion in report.infusions:
        yield from _infusion(infusion)


def timeline(report: CoiReport) -> tuple[EventEntry, ...]:
    """Every event of the report, oldest first; same-instant events in the order of the chain."""
    found = list(_chain(report))
    attached = {s.id for event in found for s in event.signatures}
    found += [EventEntry(s.signed_at, "signature.applied", _("Signed: {meaning}", meaning=fmt.words(s.meaning)),
                         s.signed_for, f"{s.entity_type} {s.entity_id}", s.printed_name, (s,))
              for s in report.signatures if s.id not in attached]
    ordered = sorted(enumerate(found), key=lambda pair: (pair[1].at, pair[0]))
    return tuple(event for _, event in ordered)
