"""The chain of identity as one time-ordered list of events, built from the assembled report (pure).

Events that happened at the same instant keep the order of the chain: therapy, collection, lot, containers,
labels, steps, release, hand-overs, bedside, infusion. Every signature of the report is attached to the event
it signs; one that signs none of them gets an event of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from batchtrack.batch_record import formatting as fmt
from batchtrack.coi_report.record import (
    BedsideCheckEntry,
    CoiReport,
    CollectionEntry,
    EventEntry,
    InfusionEntry,
    LabelPrintEntry,
    LotEntry,
    SignatureEntry,
)
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import _


def _signed(*signatures: SignatureEntry | None) -> tuple[SignatureEntry, ...]:
    return tuple(s for s in signatures if s is not None)


def temperature(value: float | None) -> str:
    """A recorded temperature ('4.0°C'), or '-' when none was recorded."""
    return fmt.quantity(value, "\u00b0C")


def _therapy(report: CoiReport) -> Iterable[EventEntry]:
    therapy, donor = report.therapy, report.donor
    yield EventEntry(therapy.opened_at, "therapy.opened", _("Therapy opened"), f"COI {report.coi_with_check}",
                     f"subject {report.recipient.subject_code}; product code {therapy.product_code}; "
                     f"donor {donor.donor_code} ({donor.kind})", therapy.opened_by)
    eligibility = report.eligibility
    if eligibility is not None:
        at = eligibility.signature.signed_at if eligibility.signature is not None else eligibility.assessed_at
        yield EventEntry(at, "eligibility.assessed", _("Eligibility assessed: eligible"),
                         f"subject {report.recipient.subject_code}",
                         f"protocol {eligibility.protocol_id} version {eligibility.protocol_version}",
                         eligibility.assessed_by, _signed(eligibility.signature))
    if donor.eligibility_recorded_at is not None:
        yield EventEntry(donor.eligibility_recorded_at, "donor.eligibility", _("Donor eligibility recorded"),
                         f"donor {donor.donor_code}", fmt.words(donor.eligibility or "-"), "")


def _collection(c: CollectionEntry, zone: str) -> Iterable[EventEntry]:
    subject = f"collection DIN {c.din_with_check}"
    planned = f"planned for {fmt.local(c.scheduled_for, zone)}" if c.scheduled_for is not None else ""
    yield EventEntry(c.created_at, "collection.scheduled", _("Collection scheduled"), subject, planned, "")
    if c.started_at is not None:
        yield EventEntry(c.started_at, "collection.started", _("Collection started"), subject, "", c.collector)
    if c.collected_at is not None:
        volume = fmt.quantity(c.volume_ml, "mL") if c.volume_ml is not None else "volume not recorded"
        yield EventEntry(c.collected_at, "collection.collected", _("Collected"), subject,
                         f"{volume}{', ' + c.site if c.site else ''}", c.collector)
    for r in c.receipts:
        detail = (f"transport {temperature(r.temperature_c)}, {fmt.quantity(r.hours_since_collection, 'h')} after "
                  "collection")
        received = _("Received at the laboratory: {decision}", decision=fmt.words(r.decision))
        yield EventEntry(r.received_at, "collection.received", received, subject,
                         detail + (f"; {r.note}" if r.note else ""), r.received_by)


def _lot(lot: LotEntry) -> Iterable[EventEntry]:
    subject = f"lot DIN {lot.din_with_check}"
    yield EventEntry(lot.created_at, "lot.opened", _("Lot opened"), subject,
                     f"from collection {', '.join(lot.collections) or '-'}; product code {lot.product_code}", "")
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
        spec = f"specification {lot.specification}" if lot.specification else "no specification recorded"
        decided = _("QA decision: {decision}", decision=fmt.words(release.decision))
        yield EventEntry(release.decided_at, "release.decided", decided, subject,
                         spec + (f"; {release.reason}" if release.reason else ""), release.decided_by,
                         _signed(release.signature))
        for co in release.co_signatures:
            co_signed = _("Co-signed as {role}", role=fmt.words(co.role))
            yield EventEntry(co.signed_at, "release.co_signed", co_signed, subject, "release pending sterility",
                             co.signed_by, _signed(co.signature))


def _labels(job: LabelPrintEntry) -> Iterable[EventEntry]:
    containers = ", ".join(label.container for label in job.labels) or "-"
    detail = (f"{fmt.words(job.template_kind)} template version {job.template_version}, {job.copies} label(s), "
              f"{job.output_format}" + (f" to {job.printer}" if job.printer else ""))
    if job.is_reprint:
        detail += f"; reprint reason: {job.reprint_reason}"
    yield EventEntry(job.printed_at, "label.printed", _("Labels reprinted") if job.is_reprint else _("Labels printed"),
                     containers, detail, job.printed_by)
    for label in job.labels:
        if label.applied_at is not None:
            verified = "verified by scan" if label.verified_at is not None else "NOT verified by scan"
            yield EventEntry(label.applied_at, "label.applied", _("Label applied"), label.container,
                             f"label #{label.id}, {verified}", label.applied_by or "")
        if label.closed_at is not None:
            closed = _("Label {status}", status=fmt.words(label.status))
            yield EventEntry(label.closed_at, f"label.{label.status}", closed, label.container,
                             f"label #{label.id}; reason: {label.closed_reason or '-'}", "")


def _check(check: BedsideCheckEntry) -> EventEntry:
    subject = check.container or (f"lot DIN {check.lot_din}" if check.lot_din else "no container identified")
    clinicians = " and ".join(n for n in (check.first_clinician, check.second_clinician) if n)
    if check.ok:
        dose = (f"dose {fmt.quantity(check.dose_cells, 'cells')} against "
                f"{fmt.quantity(check.dose_target_cells, 'cells')} prescribed"
                if check.dose_cells is not None and check.dose_target_cells is not None else "")
        return EventEntry(check.checked_at, "bedside.passed", _("Bedside check passed"), subject, dose, clinicians)
    reasons = "; ".join(f"{r.code}: {r.message}" if r.code else r.message for r in check.reasons)
    if check.deviation_number:
        reasons += f" (deviation {check.deviation_number})"
    return EventEntry(check.checked_at, "bedside.refused", _("Bedside check refused: infusion stopped"), subject,
                      reasons, clinicians)


def _infusion(infusion: InfusionEntry) -> Iterable[EventEntry]:
    yield EventEntry(infusion.started_at, "infusion.started", _("Infusion started"), infusion.container,
                     f"lot {infusion.lot_din}", infusion.recorded_by)
    reactions = "adverse reactions recorded" if infusion.adverse_reactions_recorded else "no adverse reaction recorded"
    yield EventEntry(infusion.ended_at, "infusion.ended", _("Infusion ended"), infusion.container,
                     f"{fmt.quantity(infusion.volume_ml, 'mL')} infused; {reactions}", infusion.recorded_by,
                     _signed(infusion.first_signature, infusion.second_signature))


def _chain(report: CoiReport) -> Iterable[EventEntry]:
    yield from _therapy(report)
    for collection in report.collections:
        yield from _collection(collection, report.display_timezone)
    for lot in report.lots:
        yield from _lot(lot)
    for container in report.containers:
        yield EventEntry(container.created_at, "container.registered", _("Container registered"), container.name,
                         f"DIN {container.din_with_check}"
                         + (f", product code {container.product_code}" if container.product_code else ""), "")
    for job in report.label_prints:
        yield from _labels(job)
    for handover in report.custody:
        yield EventEntry(handover.occurred_at, "custody.handed_over", _("Handed over"), handover.container,
                         f"from {handover.handed_over_by} to {handover.received_by} at {handover.location}, "
                         f"{temperature(handover.temperature_c)}" + (f"; {handover.note}" if handover.note else ""),
                         handover.recorded_by)
    for deviation in report.deviations:
        subject = f"{deviation.number} on lot {deviation.lot_din}"
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
    found += [EventEntry(s.signed_at, "signature.applied", _("Signed: {meaning}", meaning=s.meaning), s.signed_for,
                         f"{s.entity_type} {s.entity_id}", s.printed_name, (s,))
              for s in report.signatures if s.id not in attached]
    ordered = sorted(enumerate(found), key=lambda pair: (pair[1].at, pair[0]))
    return tuple(event for _, event in ordered)
