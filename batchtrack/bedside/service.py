"""The clinic's end of the chain: the bedside identity check by two clinicians and the infusion record.

Shipment and receipt at the clinic live in `handover`, the infusion record in `infusions`, photo decoding in
`photos`; they are re-exported here so that callers find every bedside operation in one module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import tzinfo

from sqlalchemy.orm import Session

from batchtrack.audit import service as audit_service
from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import Principal
from batchtrack.bedside import gate, handover, infusions, photos, records, schemas
from batchtrack.config import Settings
from batchtrack.deviations import service as deviation_service
from batchtrack.enrolment import service as enrolment_service
from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
from batchtrack.models.base import utcnow
from batchtrack.models.bedside import BedsideCheck
from batchtrack.models.container import Container
from batchtrack.models.deviation import Deviation, DeviationOrigin
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import User
from batchtrack.protocols import definition
from batchtrack.qualifications import requirements as qualification_requirements
from batchtrack.qualifications import service as qualification_service
from batchtrack.scanning import consistency, parser, verdict
from batchtrack.scanning import service as scan_service
from batchtrack.scanning.expectations import ResolvedContainer, ResolvedTherapy

ship = handover.ship
receive_at_clinic = handover.receive_at_clinic
lot_din_named_by = handover.lot_din_named_by
record_infusion = infusions.record_infusion
infusions_of = infusions.infusions_of
infusion_public = infusions.infusion_public
infusion_content = infusions.infusion_content
get_check = records.get_check
infusion_of_check = records.infusion_of_check
decode_photo = photos.decode_photo
THERAPY_COMPLETED = infusions.THERAPY_COMPLETED

# Refusals the bedside page resolves by asking for what is missing, before the check is recorded.
STILL_TO_CONFIRM = frozenset({"bedside.second_clinician_missing", "bedside.pending_sterility_unacknowledged"})


@dataclass(frozen=True, slots=True)
class _Scanned:
    """What the two scans named, and the records behind them."""

    wristband_coi: str | None
    wristband_therapy_id: int | None
    wristband_problems: tuple[Reason, ...]
    bag: gate.Bag | None
    bag_problems: tuple[Reason, ...]
    container: Container | None
    lot: Lot | None


def _prefixed(what: Text, reasons: list[Reason]) -> tuple[Reason, ...]:
    return tuple(Reason(r.code, _("{what}: {why}", what=what, why=r.text)) for r in reasons)


def read_wristband(*, session: Session, raw: str) -> tuple[str | None, int | None, tuple[Reason, ...]]:
    """The therapy a wristband scan names: (COI, therapy id, no problems), or why it names none."""
    parsed = parser.parse_scan(raw)
    if isinstance(parsed, parser.ScanRefusal):
        return None, None, _prefixed(_("wristband"), parsed.reasons)
    if not isinstance(parsed, parser.CoiScan):
        return None, None, (Reason("bedside.wristband_not_coi", _("the wristband scan is not a COI identifier "
                                   "(was a bag label scanned?): scan the recipient's wristband")),)
    found = scan_service.resolve(session=session, identity=parser.identity_of(parsed)).resolved
    if isinstance(found, ResolvedTherapy):
        return found.coi, found.therapy_id, ()
    return None, None, (Reason("bedside.wristband_unknown",
                               _("the wristband names therapy {coi}, which is not recorded", coi=parsed.coi.value)),)


def _bag(session: Session, raw: str,
         zone: tzinfo) -> tuple[gate.Bag | None, tuple[Reason, ...], Container | None, Lot | None]:
    parsed = parser.parse_scan(raw)
    if isinstance(parsed, parser.ScanRefusal):
        return None, _prefixed(_("bag"), parsed.reasons), None, None
    identity = parser.identity_of(parsed)
    if identity.din is None:
        return None, (Reason("bedside.bag_not_a_container", _("the bag scan names no container (was the "
                             "wristband scanned?): scan the 2-D code on the product bag")),), None, None
    if identity.product_code is None:
        return None, (Reason("bedside.bag_scan_incomplete", _("the scan names donation {din} but not which bag: scan "
                                                              "the 2-D code on the product bag", din=identity.din)),
                      ), None, None
    resolution = scan_service.resolve(session=session, identity=identity)
    found = resolution.resolved
    if not isinstance(found, ResolvedContainer):
        return None, (Reason("bedside.bag_unknown", _("the bag scan names no recorded container")),), None, None
    container = session.get(Container, found.container_id)
    lot = session.get(Lot, found.lot_id) if found.lot_id is not None else None
    assert container is not None
    problems = consistency.label_agrees(identity, recorded_coi=resolution.recorded_coi,
                                        recorded_expiry=resolution.recorded_expiry, zone=zone)
    bag = gate.Bag(container_id=found.container_id, kind=found.kind, status=found.status,
                   therapy_coi=found.therapy_coi, lot_din=found.lot_din, lot_state=lot.state if lot else None,
                   expires_at=lot.expires_at if lot else None)
    return bag, tuple(problems), container, lot


def _scan_both(session: Session, wristband_raw: str, bag_raw: str, zone: tzinfo) -> _Scanned:
    coi, therapy_id, wristband_problems = read_wristband(session=session, raw=wristband_raw)
    bag, bag_problems, container, lot = _bag(session, bag_raw, zone)
    return _Scanned(coi, therapy_id, wristband_problems, bag, bag_problems, container, lot)


def _dose(session: Session, lot: Lot) -> tuple[gate.Dose, list[Reason]]:
    therapy = session.get(Therapy, lot.therapy_id)
    assert therapy is not None
    recipient = session.get(Recipient, therapy.recipient_id)
    assert recipient is not None
    viable = records.per_bag_value(session=session, lot=lot, name=records.VIABLE_CELLS)
    if not recipient.protocol_id:
        return (gate.Dose(viable, therapy.prescribed_cells_per_kg, None, 100.0),
                [Reason("bedside.no_protocol", _("subject {subject} is on no protocol: the dose tolerance and the "
                                                 "weight window are unknown", subject=recipient.subject_code))])
    limits = definition.load(recipient.protocol_id).limits
    weight = enrolment_service.weight_within(session=session, recipient=recipient,
                                             days=limits.weight_visit_window_days, on=utcnow().date())
    return gate.Dose(viable_cells=viable, prescribed_cells_per_kg=therapy.prescribed_cells_per_kg,
                     weight_kg=weight.weight_kg if weight else None,
                     tolerance_percent=limits.dose_tolerance_percent), []


def _facts(session: Session, actor: Principal, scanned: _Scanned, *, second: gate.Clinician | None,
           second_problems: tuple[Reason, ...], acknowledged: bool, zone: tzinfo) -> gate.BedsideFacts:
    facts = gate.BedsideFacts(
        now=utcnow(), first=records.clinician_of(actor), second=second, second_problems=second_problems,
        wristband_coi=scanned.wristband_coi, wristband_problems=scanned.wristband_problems, bag=scanned.bag,
        bag_problems=scanned.bag_problems, pending_acknowledged=acknowledged, zone=zone,
    )
    lot = scanned.lot
    if lot is None or scanned.bag is None:
        return facts
    release = records.release_state(session=session, lot=lot)
    dose, dose_problems = _dose(session, lot)
    extra = (gate.receipt_refusals(scanned.bag)
             + gate.sterility_refusals(final_sterility_conforms=release.final_sterility_conforms) + dose_problems)
    return replace(facts, released=release.released, pending_sterility=release.pending_sterility,
                   open_alerts=release.open_alerts, dose=dose, extra=tuple(extra))


def _second(session: Session, settings: Settings, username: str,
            password: str) -> tuple[gate.Clinician | None, tuple[Reason, ...]]:
    """The second clinician, authenticated by password on this device (a failure counts towards lock-out)."""
    if not username:
        return None, ()
    if not password:
        return None, (Reason("bedside.second_clinician_password",
                             _("{username} must enter their password to confirm the identity",
                               username=username[:64])),)
    user, refusal = auth_service.authenticate(session=session, settings=settings, username=username,
                                              password=password)
    if user is None:
        return None, (Reason("bedside.second_clinician_not_authenticated",
                             _("the second clinician could not be authenticated: {why}", why=refusal)),)
    return records.clinician_of(auth_service.principal_for(session=session, user=user)), ()


def second_clinician_problems(*, session: Session, settings: Settings, username: str, password: str) -> list[Reason]:
    """Why the named second clinician cannot confirm (unknown, locked, wrong password); empty when they can.

    A failed attempt counts towards the account's lock-out, so the caller commits even when refused.
    """
    second, problems = _second(session, settings, username, password)
    if second is None and not problems:
        return [Reason("bedside.second_clinician_missing", _("a second clinician must confirm the identity"))]
    return list(problems)


@dataclass(frozen=True, slots=True)
class Precheck:
    """What the two scans alone say, before the second clinician confirms (reads only)."""

    reasons: list[Reason]  # refusals other than the missing second clinician and acknowledgement
    pending_sterility: bool
    wristband_coi: str | None
    bag: gate.Bag | None
    facts: gate.BedsideFacts
    matches: list[gate.FieldMatch]  # each field of the match screen, ticked or crossed out by the gate


def precheck(*, session: Session, actor: Principal, wristband_scan: str, bag_scan: str, zone: tzinfo) -> Precheck:
    """Judge the two scans without a second clinician: any refusal here already stops the infusion (reasons name
    times in `zone`, the site's)."""
    records.require_clinician(actor)
    scanned = _scan_both(session, wristband_scan, bag_scan, zone)
    facts = _facts(session, actor, scanned, second=None, second_problems=(), acknowledged=False, zone=zone)
    reasons = [r for r in gate.refusals(facts) if r.code not in STILL_TO_CONFIRM]
    return Precheck(reasons, facts.pending_sterility, scanned.wristband_coi, scanned.bag, facts,
                    gate.field_matches(reasons))


def _deviation(session: Session, actor: Principal, scanned: _Scanned, reasons: list[Reason]) -> Deviation:
    assert scanned.lot is not None and scanned.container is not None
    bag = scanned.container
    where = (f"at the bedside of therapy {scanned.wristband_coi}" if scanned.wristband_coi
             else "with a wristband that named no recorded therapy")
    description = (f"Bedside identity check refused for final product bag {bag.din} {bag.division} of lot "
                   f"{scanned.lot.din} {where}: " + "; ".join(f"[{r.code}] {r.message}" for r in reasons))
    return deviation_service.open_deviation(
        session=session, actor=actor, lot=scanned.lot, description=description,
        impact="The infusion was stopped at the bedside; the bag was not infused.",
        origin=DeviationOrigin.BEDSIDE_CHECK)


@dataclass(frozen=True, slots=True)
class Judged:
    """A recorded check and the reasons it refused the infusion, as judged (their messages marked for
    translation; the check records them in English)."""

    row: BedsideCheck
    reasons: list[Reason]


def check(*, session: Session, settings: Settings, actor: Principal, data: schemas.CheckCreate) -> BedsideCheck:
    """Judge and record a bedside check; a refusal is recorded too, with a deviation on the bag's lot.

    Never raises for a refusal: the check (and its deviation) must be committed; the caller reports `ok`.
    """
    return judge(session=session, settings=settings, actor=actor, data=data).row


def judge(*, session: Session, settings: Settings, actor: Principal, data: schemas.CheckCreate) -> Judged:
    """Judge and record a bedside check as `check` does; also return the reasons to show in the reader's language."""
    records.require_clinician(actor)
    # The refusal concerns the person, not the bag or the recipient: it is recorded against the user.
    qualification_service.require(session=session, actor=actor, activity=qualification_requirements.BEDSIDE_CHECK,
                                  entity_type="user", entity_id=actor.username)
    second, second_problems = _second(session, settings, data.second_clinician, data.second_password)
    scanned = _scan_both(session, data.wristband_scan, data.bag_scan, settings.zone)
    facts = _facts(session, actor, scanned, second=second, second_problems=second_problems,
                   acknowledged=data.acknowledge_pending_sterility, zone=settings.zone)
    reasons = gate.refusals(facts)
    if second is not None and not reasons:  # a check that passes: the second clinician must be qualified too
        qualification_service.require(session=session, actor=actor, activity=qualification_requirements.BEDSIDE_CHECK,
                                      entity_type="user", entity_id=actor.username, person_id=second.user_id)
    deviation = _deviation(session, actor, scanned, reasons) if reasons and scanned.lot is not None else None
    therapy_id = scanned.wristband_therapy_id or (scanned.lot.therapy_id if scanned.lot else None)
    assert actor.user_id is not None
    row = BedsideCheck(
        therapy_id=therapy_id, lot_id=scanned.lot.id if scanned.lot else None,
        container_id=scanned.container.id if scanned.container else None,
        wristband_scan=verdict.escape_raw(data.wristband_scan), bag_scan=verdict.escape_raw(data.bag_scan),
        first_clinician_id=actor.user_id, second_clinician_id=second.user_id if second else None, ok=not reasons,
        reasons=json.dumps([r.as_dict() for r in reasons]),
        dose_cells=facts.dose.viable_cells if facts.dose else None,
        dose_target_cells=facts.dose.target if facts.dose else None,
        deviation_id=deviation.id if deviation else None, checked_at=facts.now,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="bedside.checked" if row.ok else "bedside.check_refused",
        entity_type="bedside_check", entity_id=row.id or 0,
        new={"ok": row.ok, "wristband": facts.wristband_coi, "lot": scanned.lot.din if scanned.lot else None,
             "container_id": row.container_id, "second_clinician": second.name if second else None,
             "acknowledged_pending_sterility": data.acknowledge_pending_sterility,
             "dose_cells": row.dose_cells, "dose_target_cells": row.dose_target_cells,
             "deviation": deviation.number if deviation else None, "reasons": [r.as_dict() for r in reasons],
             "wristband_scan_escaped": row.wristband_scan, "bag_scan_escaped": row.bag_scan},
    )
    return Judged(row, reasons)


def reasons_of(check: BedsideCheck) -> list[Reason]:
    """The reasons recorded with a check."""
    return [Reason(r["code"], r["message"]) for r in json.loads(check.reasons)]


def check_public(*, session: Session, check: BedsideCheck) -> schemas.CheckPublic:
    """The check as the API returns it (identifiers only, no patient identity)."""
    therapy = session.get(Therapy, check.therapy_id) if check.therapy_id else None
    lot = session.get(Lot, check.lot_id) if check.lot_id else None
    container = session.get(Container, check.container_id) if check.container_id else None
    first = session.get(User, check.first_clinician_id)
    second = session.get(User, check.second_clinician_id) if check.second_clinician_id else None
    deviation = session.get(Deviation, check.deviation_id) if check.deviation_id else None
    infusion = records.infusion_of_check(session=session, check_id=check.id or 0)
    assert check.id is not None and first is not None
    return schemas.CheckPublic(
        id=check.id, ok=check.ok, reasons=[schemas.ReasonPublic(**r.as_dict()) for r in reasons_of(check)],
        therapy_coi=therapy.coi if therapy else None, lot_din=lot.din if lot else None,
        container_id=check.container_id, division=container.division if container else None,
        first_clinician=first.username, second_clinician=second.username if second else None,
        dose_cells=check.dose_cells, dose_target_cells=check.dose_target_cells,
        deviation_number=deviation.number if deviation else None, wristband_scan=check.wristband_scan,
        bag_scan=check.bag_scan, checked_at=check.checked_at, infusion_id=infusion.id if infusion else None,
    )
