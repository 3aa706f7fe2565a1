"""The chain-of-identity report of a therapy, assembled as one read-only picture from the rows `loading` reads.

Patient identity is in the report only when the viewer's role may see it (and then only the name and date of
birth); identifiers carry their check characters; events come out in time order (`events`).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict

from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.batch_record import formatting
from batchtrack.coi_report import events, loading
from batchtrack.coi_report.record import (
    BedsideCheckEntry,
    CoiReport,
    CollectionEntry,
    ContainerEntry,
    CoSignatureEntry,
    DeviationEntry,
    DonorEntry,
    EligibilityEntry,
    HandOverEntry,
    InfusionEntry,
    LabelCountEntry,
    LabelEntry,
    LabelPrintEntry,
    LotEntry,
    ReasonEntry,
    ReceiptEntry,
    RecipientEntry,
    ReleaseEntry,
    SignatureEntry,
    StepEntry,
    TherapyEntry,
)
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import checkchar
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.labels import reconciliation as label_reconciliation
from batchtrack.models.base import utcnow
from batchtrack.models.container import Container
from batchtrack.models.party import DonorKind
from batchtrack.models.processing import ProcessStep
from batchtrack.models.quality import ReleaseApproval
from batchtrack.models.signature import Signature
from batchtrack.models.therapy import Therapy
from batchtrack.people import names


class _Signatures:
    """The signatures of the report, each described by what it signs the first time it is met."""

    def __init__(self, rows: dict[int, Signature], zone: str) -> None:
        self.rows = rows
        self.zone = zone
        self.entries: dict[int, SignatureEntry] = {}

    def get(self, signature_id: int | None, signed_for: str | Text) -> SignatureEntry | None:
        """The signature as the report shows it (None for none), described as `signed_for` if first met here."""
        row = self.rows.get(signature_id) if signature_id is not None else None
        if row is None or row.id is None:
            return None
        if row.id not in self.entries:
            self.entries[row.id] = SignatureEntry(
                id=row.id, printed_name=row.printed_name, meaning=row.meaning, signed_at=row.signed_at,
                signed_at_local=formatting.local(row.signed_at, self.zone), signed_for=signed_for,
                entity_type=row.entity_type, entity_id=row.entity_id, content_hash=row.content_hash,
            )
        return self.entries[row.id]

    def all(self) -> tuple[SignatureEntry, ...]:
        """Every signature met, and any other signature on a lot of the therapy, oldest first."""
        for row in self.rows.values():
            self.get(row.id, _("{entity} {id}: {meaning}", entity=row.entity_type, id=row.entity_id,
                               meaning=formatting.words(row.meaning)))
        return tuple(sorted(self.entries.values(), key=lambda s: (s.signed_at, s.id)))


def _din_parts(din: str) -> tuple[str, str]:
    """The check character and the eye-readable form of a recorded DIN (as stored if it is not well formed)."""
    try:
        parsed = din_id.parse(din)
    except din_id.IdentifierError:
        try:
            return checkchar.check_character(din), din
        except ValueError:  # a character outside the MOD 37-2 alphabet
            return "?", din
    return parsed.check, din_id.eye_readable(parsed)


def _container(container: Container, lot_dins: dict[int | None, str],
               collection_dins: dict[int | None, str]) -> ContainerEntry:
    assert container.id is not None
    return ContainerEntry(
        id=container.id, din=container.din, din_check=_din_parts(container.din)[0], kind=container.kind,
        product_code=container.product_code + container.division if container.product_code else "",
        division=container.division, sample_flag=container.sample_flag, status=container.status,
        lot_din=lot_dins.get(container.lot_id), collection_din=collection_dins.get(container.collection_id),
        created_at=container.created_at,
        name=formatting.container_name(kind=container.kind, din=container.din, division=container.division,
                                       sample_flag=container.sample_flag),
    )


def _recipient_entry(recipient: loading.RecipientRow) -> RecipientEntry:
    if recipient.family_name is None or recipient.given_name is None:
        return RecipientEntry(subject_code=recipient.subject_code, identity_shown=False)
    family, given = " ".join(recipient.family_name.split()), " ".join(recipient.given_name.split())
    romanised = names.romanised(recipient.family_name_latin, recipient.given_name_latin)
    return RecipientEntry(subject_code=recipient.subject_code, identity_shown=True, family_name=family,
                          given_name=given, date_of_birth=recipient.date_of_birth, name=names.written(family, given),
                          family_name_latin=recipient.family_name_latin, given_name_latin=recipient.given_name_latin,
                          romanised_name=romanised or None)


def _reasons(text: str) -> tuple[ReasonEntry, ...]:
    """The reasons a bedside check recorded (JSON list of {code, message}); unreadable text is shown as is."""
    try:
        data = json.loads(text)
    except ValueError:
        return (ReasonEntry("unreadable", text[:500]),)
    if not isinstance(data, list):
        return (ReasonEntry("unreadable", text[:500]),)
    return tuple(ReasonEntry(str(item.get("code", "")), str(item.get("message", "")))
                 if isinstance(item, dict) else ReasonEntry("", str(item)) for item in data)


def _lots(rows: loading.Rows, signatures: _Signatures, collection_dins: dict[int | None, str]) -> tuple[LotEntry, ...]:
    collections_of: dict[int, list[str]] = defaultdict(list)
    for link in rows.lot_collections:
        collections_of[link.lot_id].append(collection_dins.get(link.collection_id, f"collection {link.collection_id}"))
    # Labels are reconciled per lot by their container's lot, as the release gate reconciles them.
    lot_of_container = {c.id: c.lot_id for c in rows.containers}
    labels_of: dict[int, list[label_reconciliation.LabelRow]] = defaultdict(list)
    for label in rows.labels:
        lot_id = lot_of_container.get(label.container_id)
        if lot_id is not None and label.id is not None:
            labels_of[lot_id].append(label_reconciliation.LabelRow(
                label_id=label.id, container_id=label.container_id, status=label.status,
                verified=label.verified_at is not None))
    steps_of: dict[int, list[ProcessStep]] = defaultdict(list)
    for step in rows.steps:
        steps_of[step.lot_id].append(step)
    decision_of = {d.lot_id: d for d in rows.decisions}
    approvals_of: dict[int, list[ReleaseApproval]] = defaultdict(list)
    for approval in rows.approvals:
        approvals_of[approval.lot_id].append(approval)
    entries = []
    for lot, spec_code, spec_version in rows.lots:
        assert lot.id is not None
        check, eye = _din_parts(lot.din)
        counts = label_reconciliation.reconcile(labels_of[lot.id])
        decision = decision_of.get(lot.id)
        release = None if decision is None else ReleaseEntry(
            decision=decision.decision, decided_by=rows.name(decision.decided_by), decided_at=decision.decided_at,
            reason=decision.reason,
            signature=signatures.get(decision.signature_id,
                                     _("lot {din}: QA decision, {decision}", din=lot.din,
                                       decision=formatting.words(decision.decision))),
            co_signatures=tuple(CoSignatureEntry(
                role=a.role, signed_by=rows.name(a.signed_by), signed_at=a.signed_at,
                signature=signatures.get(a.signature_id, _("lot {din}: release pending sterility, co-signed as {role}",
                                                           din=lot.din, role=formatting.words(a.role))),
            ) for a in approvals_of[lot.id]),
        )
        entries.append(LotEntry(
            din=lot.din, din_check=check, din_eye_readable=eye, state=lot.state, product_code=lot.product_code,
            specification_code=spec_code, specification_version=spec_version, expires_at=lot.expires_at,
            created_at=lot.created_at, collections=tuple(sorted(collections_of[lot.id])), release=release,
            labels=LabelCountEntry(
                printed=counts.printed, applied=counts.applied, voided=counts.voided, destroyed=counts.destroyed,
                outstanding=counts.outstanding, applied_unverified=counts.applied_unverified,
                balanced=counts.balanced and not counts.unknown_status),
            steps=tuple(StepEntry(
                code=s.step_code, title=s.title, state=s.state, started_by=rows.name(s.started_by),
                started_at=s.started_at, completed_by=rows.name(s.completed_by) or None,
                completed_at=s.completed_at, verified_by=rows.name(s.verified_by) or None,
                verified_at=s.verified_at,
                performed_signature=signatures.get(
                    s.performed_signature_id, _("lot {din}: {step}, performed", din=lot.din, step=data_words(s.title))),
                verified_signature=signatures.get(
                    s.verified_signature_id, _("lot {din}: {step}, verified", din=lot.din, step=data_words(s.title))),
            ) for s in steps_of[lot.id]),
        ))
    return tuple(entries)


def _container_name(containers: dict[int, ContainerEntry], container_id: int | None) -> str | Text | None:
    if container_id is None:
        return None
    found = containers.get(container_id)
    return found.name if found is not None else _("container {id}", id=container_id)


def _bedside(rows: loading.Rows, signatures: _Signatures, containers: dict[int, ContainerEntry],
             lot_dins: dict[int | None, str], viewer: Principal) -> tuple[
    tuple[BedsideCheckEntry, ...], tuple[InfusionEntry, ...]
]:
    numbers = {d.id: d.number for d in rows.deviations}
    checks = tuple(BedsideCheckEntry(
        id=c.id or 0, checked_at=c.checked_at, ok=c.ok, reasons=_reasons(c.reasons), lot_din=lot_dins.get(c.lot_id),
        container_id=c.container_id, container=_container_name(containers, c.container_id),
        first_clinician=rows.name(c.first_clinician_id), second_clinician=rows.name(c.second_clinician_id) or None,
        dose_cells=c.dose_cells, dose_target_cells=c.dose_target_cells,
        deviation_number=None if c.deviation_id is None else numbers.get(c.deviation_id, f"deviation {c.deviation_id}"),
    ) for c in rows.checks)
    infusions = []
    for f in rows.infusions:
        name = _container_name(containers, f.container_id) or ""
        infusions.append(InfusionEntry(
            id=f.id or 0, check_id=f.check_id, container_id=f.container_id, container=name,
            lot_din=lot_dins.get(f.lot_id, f"lot {f.lot_id}"), started_at=f.started_at, ended_at=f.ended_at,
            volume_ml=f.volume_ml, adverse_reactions_recorded=bool(f.adverse_reactions.strip()),
            adverse_reactions=f.adverse_reactions if viewer.sees_patient_identity else None,
            first_signature=signatures.get(f.first_signature_id, _("infusion of {name}: first clinician", name=name)),
            second_signature=signatures.get(f.second_signature_id,
                                            _("infusion of {name}: second clinician", name=name)),
            recorded_by=rows.name(f.recorded_by), recorded_at=f.recorded_at,
        ))
    return checks, tuple(infusions)


def assemble(*, session: Session, therapy: Therapy, viewer: Principal, display_timezone: str = "UTC") -> CoiReport:
    """The chain-of-identity report of `therapy` as `viewer` may see it, donor to recipient, events in time order."""
    rows = loading.load(session=session, therapy=therapy, viewer=viewer)
    signatures = _Signatures(rows.signatures, display_timezone)
    recipient = _recipient_entry(rows.recipient)
    eligibility = None if rows.eligibility is None else EligibilityEntry(
        protocol_id=rows.eligibility.protocol_id, protocol_version=rows.eligibility.protocol_version,
        eligible=rows.eligibility.eligible, assessed_by=rows.name(rows.eligibility.assessed_by),
        assessed_at=rows.eligibility.assessed_at,
        signature=signatures.get(rows.eligibility.signature_id,
                                 _("subject {subject}: eligibility for {protocol}",
                                   subject=recipient.subject_code, protocol=rows.eligibility.protocol_id)),
    )
    lot_dins: dict[int | None, str] = {lot.id: lot.din for lot, _, _ in rows.lots}
    collection_dins: dict[int | None, str] = {c.id: c.din for c in rows.collections}
    lot_of_collection = {link.collection_id: lot_dins.get(link.lot_id) for link in rows.lot_collections}
    receipts_of: dict[int, list[ReceiptEntry]] = defaultdict(list)
    for r in rows.receipts:
        receipts_of[r.collection_id].append(ReceiptEntry(
            decision=r.decision, temperature_c=r.temperature_c, hours_since_collection=r.hours_since_collection,
            note=r.note, received_by=rows.name(r.received_by), received_at=r.received_at))
    collections = []
    for c in rows.collections:
        assert c.id is not None
        check, eye = _din_parts(c.din)
        collections.append(CollectionEntry(
            din=c.din, din_check=check, din_eye_readable=eye, state=c.state, scheduled_for=c.scheduled_for,
            started_at=c.started_at, collected_at=c.collected_at, volume_ml=c.volume_ml, site=c.site,
            collector=rows.name(c.collector_id), created_at=c.created_at, lot_din=lot_of_collection.get(c.id),
            receipts=tuple(receipts_of[c.id])))
    containers = {c.id: _container(c, lot_dins, collection_dins) for c in rows.containers if c.id is not None}
    every_container = containers | {
        c.id: _container(c, lot_dins, collection_dins) for c in rows.foreign_containers if c.id is not None}
    lots = _lots(rows, signatures, collection_dins)
    lot_din_of_deviation = {d.id: lot_dins.get(d.lot_id, f"lot {d.lot_id}") for d in rows.deviations}
    deviations = tuple(DeviationEntry(
        number=d.number, lot_din=lot_din_of_deviation[d.id], state=d.state, origin=d.origin,
        description=d.description, impact=d.impact, opened_by=rows.name(d.opened_by), opened_at=d.opened_at,
        closure=d.closure, closed_by=rows.name(d.closed_by) or None, closed_at=d.closed_at,
        closed_signature=signatures.get(d.closed_signature_id, _("deviation {number} (lot {din}): closed",
                                                                 number=d.number, din=lot_din_of_deviation[d.id])),
    ) for d in rows.deviations)
    checks, infusions = _bedside(rows, signatures, every_container, lot_dins, viewer)
    labels_of: dict[int, list[LabelEntry]] = defaultdict(list)
    for label in rows.labels:
        labels_of[label.print_id].append(LabelEntry(
            id=label.id or 0, container_id=label.container_id,
            container=_container_name(containers, label.container_id) or "", status=label.status,
            applied_by=rows.name(label.applied_by) or None, applied_at=label.applied_at,
            verified_at=label.verified_at, closed_reason=label.closed_reason, closed_at=label.closed_at))
    parsed_coi = coi_id.parse(therapy.coi)
    report = CoiReport(
        therapy=TherapyEntry(
            coi=therapy.coi, coi_check=parsed_coi.check, coi_eye_readable=coi_id.eye_readable(parsed_coi),
            state=therapy.state, product_code=therapy.product_code,
            prescribed_cells_per_kg=therapy.prescribed_cells_per_kg, opened_by=rows.name(therapy.created_by),
            opened_at=therapy.created_at),
        recipient=recipient,
        donor=DonorEntry(
            donor_code=rows.donor.donor_code, kind=rows.donor.kind,
            is_recipient=rows.donor.kind == DonorKind.AUTOLOGOUS and rows.donor.recipient_id == therapy.recipient_id,
            hla_match=rows.donor.hla_match, eligibility=rows.donor.eligibility,
            eligibility_recorded_at=rows.donor.eligibility_recorded_at),
        eligibility=eligibility,
        collections=tuple(collections),
        lots=lots,
        containers=tuple(containers.values()),
        custody=tuple(HandOverEntry(
            id=e.id or 0, container_id=e.container_id,
            container=_container_name(containers, e.container_id) or "", handed_over_by=rows.name(e.handed_over_by),
            received_by=rows.name(e.received_by), location=e.location, temperature_c=e.temperature_c,
            occurred_at=e.occurred_at, recorded_by=rows.name(e.recorded_by), recorded_at=e.recorded_at, note=e.note,
        ) for e in rows.custody),
        label_prints=tuple(LabelPrintEntry(
            id=p.id or 0, template_kind=p.template_kind, template_version=p.template_version,
            output_format=p.output_format, printer=p.printer, copies=p.copies, is_reprint=p.is_reprint,
            reprint_reason=p.reprint_reason, printed_by=rows.name(p.printed_by), printed_at=p.printed_at,
            labels=tuple(labels_of[p.id or 0]),
        ) for p in rows.prints),
        deviations=deviations,
        bedside_checks=checks,
        infusions=infusions,
        signatures=(),
        events=(),
        display_timezone=display_timezone,
        generated_at=utcnow(),
    )
    report = dataclasses.replace(report, signatures=signatures.all())
    return dataclasses.replace(report, events=events.timeline(report))
