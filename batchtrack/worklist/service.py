"""Loading each kind of work a person's roles see, in a bounded number of queries whatever the database's size.

One query (or a fixed few) per kind, each limited to the items a list shows and filtered on indexed columns; the
facts of many lots are read together, never lot by lot. The rules (batchtrack.worklist.rules) make the items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, and_, case, distinct, exists, func, or_, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from batchtrack.auth.principal import Principal
from batchtrack.bedside import gate as bedside_gate
from batchtrack.collections.workflow import CollectionState
from batchtrack.i18n.text import Text, _
from batchtrack.lots.service import PROCESSING_ACTIONS
from batchtrack.lots.workflow import FINAL_STATES, LotState
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.deviation import Deviation, DeviationState
from batchtrack.models.enrolment import Allergy, EligibilityAssessment
from batchtrack.models.equipment import Equipment
from batchtrack.models.label import Label, LabelStatus
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.material import MaterialLot, MaterialStatus
from batchtrack.models.party import Recipient
from batchtrack.models.processing import ProcessStep, StepState
from batchtrack.models.quality import Alert, QcResult, ReleaseDecision, ReleaseDecisionKind, ResultStatus, Specification
from batchtrack.models.review import LotRecordReview
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role, User
from batchtrack.protocols import definition, eligibility
from batchtrack.quality import specifications, standing
from batchtrack.release import gate as release_gate
from batchtrack.worklist import rules
from batchtrack.worklist.rules import Kind

# Any row's columns.
Rows = tuple[Any, ...]
# The most items a section shows (the oldest or most urgent first); a fuller list says it was cut.
SECTION_LIMIT = 50
# The most lots in QC whose release conditions are judged for one list.
RELEASE_LIMIT = 25
# The protocol a recipient enrolled before protocols were recorded is judged by (as the receipt gate does).
DEFAULT_PROTOCOL = "KCT0004337"
# A post-release result (the day-14 sterility) is looked for among the lots released pending it within this time:
# the query reads the releases of these weeks, however many lots were ever released. A result still missing after
# it is long overdue: the lot's record review and its deviation find it, not this list.
POST_RELEASE_WINDOW = timedelta(days=60)
# The lots still open: found by their state (indexed), not among every lot that ever expired.
OPEN_STATES = tuple(s.value for s in LotState if s not in FINAL_STATES)


@dataclass(frozen=True, slots=True)
class Section:
    """One kind of work and its items; `more`: there were more than the section shows."""

    kind: Kind
    items: list[rules.Item]
    more: bool = False


@dataclass(frozen=True, slots=True)
class Worklist:
    """What is due for a person now, by kind."""

    now: datetime
    sections: list[Section]


def _limits(protocol_id: str | None) -> definition.Limits:
    return definition.load(protocol_id or DEFAULT_PROTOCOL).limits


def _bags(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    rows = session.execute(
        select(col(Collection.din), col(Therapy.coi), col(Collection.collected_at), col(Recipient.protocol_id))
        .join(Therapy, col(Therapy.id) == col(Collection.therapy_id))
        .join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
        .where(col(Collection.state).in_((CollectionState.COLLECTED.value, CollectionState.IN_TRANSIT.value)))
        .order_by(col(Collection.collected_at), col(Collection.id)).limit(SECTION_LIMIT + 1)).all()
    more = len(rows) > SECTION_LIMIT
    return Section(Kind.BAG_IN_TRANSIT, rules.bag_items([
        rules.BagFacts(din, coi, at, _limits(protocol).max_hours_collection_to_receipt)
        for din, coi, at, protocol in rows[:SECTION_LIMIT]], receives=viewer.has_any(rules.RECEIVERS)), more)


def _scheduled(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    rows = session.execute(
        select(col(Collection.din), col(Therapy.coi), col(Collection.scheduled_for), col(Collection.created_at))
        .join(Therapy, col(Therapy.id) == col(Collection.therapy_id))
        .where(col(Collection.state) == CollectionState.SCHEDULED.value)
        .order_by(col(Collection.scheduled_for).is_(None), col(Collection.scheduled_for), col(Collection.id))
        .limit(SECTION_LIMIT + 1)).all()
    return Section(Kind.COLLECTION_SCHEDULED, rules.collection_items(
        [rules.ScheduledCollectionFacts(*row) for row in rows[:SECTION_LIMIT]]), len(rows) > SECTION_LIMIT)


def _waiting(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    # The lots received first (by id, read in order from ix_lot_state_id) that have no step yet: the query stops at
    # the list's length, however many lots wait. Their collections' times then order the list by deadline.
    started = exists().where(col(ProcessStep.lot_id) == col(Lot.id))
    first = (select(col(Lot.id)).where(col(Lot.state) == LotState.IN_PROCESS.value, ~started)
             .order_by(col(Lot.id)).limit(SECTION_LIMIT + 1).scalar_subquery())
    rows = session.execute(
        select(col(Lot.din), func.min(col(Collection.collected_at)), func.min(col(Recipient.protocol_id)))
        .join(LotCollection, col(LotCollection.lot_id) == col(Lot.id))
        .join(Collection, col(Collection.id) == col(LotCollection.collection_id))
        .join(Therapy, col(Therapy.id) == col(Lot.therapy_id))
        .join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
        .where(col(Lot.id).in_(first))
        .group_by(col(Lot.id), col(Lot.din)).order_by(func.min(col(Collection.collected_at)), col(Lot.id))).all()
    return Section(Kind.PROCESSING_DUE, rules.processing_items([
        rules.WaitingLotFacts(din, at, _limits(protocol).max_hours_collection_to_processing)
        for din, at, protocol in rows[:SECTION_LIMIT]]), len(rows) > SECTION_LIMIT)


def _first_in_each_state(query: Select[*Rows], state: Any, states: Sequence[str], order: Sequence[Any],
                         limit: int) -> Select[*Rows]:
    """`query`'s first `limit` rows by `order` in each of `states`, together: each part is read in order from an
    index on (state, *order) and stops at `limit`, where one query over all the states would sort every match."""
    parts = [select(query.where(state == one).order_by(*order).limit(limit).subquery()) for one in states]
    merged = union_all(*parts).subquery()
    return select(merged).order_by(*(merged.c[column.key] for column in order)).limit(limit)


def _steps(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    query = (select(col(Lot.din), col(ProcessStep.title), col(ProcessStep.station), col(ProcessStep.state),
                    col(ProcessStep.started_at), col(ProcessStep.id))
             .join(Lot, col(Lot.id) == col(ProcessStep.lot_id)))
    rows = session.execute(_first_in_each_state(
        query, col(ProcessStep.state), (StepState.IN_PROGRESS.value, StepState.COMPLETED.value),
        (col(ProcessStep.started_at), col(ProcessStep.id)), SECTION_LIMIT + 1)).all()
    return Section(Kind.STEP_OPEN, rules.step_items([rules.OpenStepFacts(*row[:5]) for row in rows[:SECTION_LIMIT]]),
                   len(rows) > SECTION_LIMIT)


def _qc_lots(session: Session, *, limit: int, states: Sequence[str]) -> list[Lot]:
    """Lots in `states` (or on hold from one of them), the oldest first."""
    held = and_(col(Lot.state) == LotState.ON_HOLD.value, col(Lot.state_before_hold).in_(states))
    return list(session.execute(select(Lot).where(or_(col(Lot.state).in_(states), held))
                                .order_by(col(Lot.id)).limit(limit)).scalars())


@dataclass(frozen=True, slots=True)
class _Tested:
    """The lots' tests and results in force, and the name of each specification ("MSC-FP v1")."""

    tests: dict[int, tuple[rules.TestDue, ...]]
    specifications: dict[int, str]


def _tests_of(session: Session, lots: Sequence[Lot]) -> _Tested:
    """Each lot's tests and their results in force: one query for the specifications, one for the results."""
    spec_ids = {lot.specification_id for lot in lots if lot.specification_id is not None}
    specs = list(session.execute(select(Specification).where(col(Specification.id).in_(spec_ids))).scalars()
                 ) if spec_ids else []
    contents = {spec.id: specifications.content_of(spec) for spec in specs}
    results: dict[int, list[QcResult]] = defaultdict(list)
    if lots:
        for row in session.execute(select(QcResult).where(col(QcResult.lot_id).in_([lot.id for lot in lots]))
                                   .order_by(col(QcResult.id))).scalars():
            results[row.lot_id].append(row)
    tests: dict[int, tuple[rules.TestDue, ...]] = {}
    for lot in lots:
        assert lot.id is not None
        content = contents.get(lot.specification_id) if lot.specification_id is not None else None
        in_force = standing.in_force_of(results[lot.id])
        tests[lot.id] = tuple(
            rules.TestDue(test.code, test.title, test.stage, test.final_after_days, r.status if r else None,
                          r.day if r else None, r.entered_at if r else None, r.conforms if r else None)
            for test in (content.tests if content is not None else ()) for r in (in_force.get(test.code),))
    return _Tested(tests, {spec.id: f"{spec.code} v{spec.version}" for spec in specs if spec.id is not None})


def _testing_state(lot: Lot) -> str:
    """The state a lot on hold is tested in: the one it was held from."""
    return (lot.state_before_hold or lot.state) if lot.state == LotState.ON_HOLD else lot.state


def _awaiting_post_release_results(session: Session, *, now: datetime, limit: int) -> list[Lot]:
    """Lots released pending sterility within the window that still lack a final result of a post-release test of
    their specification, the oldest first: one query per distinct set of post-release tests (specifications are
    few), reading only the window's releases."""
    sets: dict[frozenset[str], list[int]] = defaultdict(list)
    for spec in session.execute(select(Specification)).scalars():
        codes = frozenset(t.code for t in specifications.content_of(spec).post_release_tests)
        if codes and spec.id is not None:
            sets[codes].append(spec.id)
    found: list[Lot] = []
    for codes, spec_ids in sets.items():
        finals = (select(func.count(distinct(col(QcResult.test_code))))
                  .where(col(QcResult.lot_id) == col(Lot.id), col(QcResult.status) == ResultStatus.FINAL.value,
                         col(QcResult.test_code).in_(codes)).scalar_subquery())
        found += session.execute(
            select(Lot).join(ReleaseDecision, col(ReleaseDecision.lot_id) == col(Lot.id))
            .where(col(ReleaseDecision.decision) == ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value,
                   col(ReleaseDecision.decided_at) >= now - POST_RELEASE_WINDOW,
                   col(Lot.specification_id).in_(spec_ids), finals < len(codes))
            .order_by(col(Lot.id)).limit(limit)).scalars()
    return sorted(found, key=lambda lot: lot.id or 0)[:limit]


def _qc(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    # Lots in QC, and lots released pending sterility still waiting for it (shipped or infused since, perhaps):
    # never every lot ever released, which would push the lots with results due out of the list.
    lots = sorted({lot.id: lot for lot in (
        *_qc_lots(session, limit=SECTION_LIMIT + 1, states=(LotState.IN_QC.value,)),
        *_awaiting_post_release_results(session, now=now, limit=SECTION_LIMIT + 1))}.values(),
        key=lambda lot: lot.id or 0)
    more = len(lots) > SECTION_LIMIT
    lots = lots[:SECTION_LIMIT]
    tested = _tests_of(session, lots)
    return Section(Kind.QC_RESULTS_DUE, rules.qc_items([
        rules.QcLotFacts(lot.din, _testing_state(lot), tested.tests[lot.id or 0]) for lot in lots], zone, now), more)


def _label_counts(session: Session, lot_ids: Sequence[int] | None, *, limit: int | None = None
                  ) -> dict[int, tuple[str, int, int]]:
    """By lot: its DIN, its labels not accounted for (printed, not applied, voided or destroyed), and its applied
    labels without a verifying scan; only lots with either (or every lot of `lot_ids`)."""
    accounted = (LabelStatus.APPLIED.value, LabelStatus.VOIDED.value, LabelStatus.DESTROYED.value)
    outstanding = func.sum(case((col(Label.status).not_in(accounted), 1), else_=0))
    unverified = func.sum(case((and_(col(Label.status) == LabelStatus.APPLIED.value,
                                     col(Label.verified_at).is_(None)), 1), else_=0))
    query = (select(col(Lot.id), col(Lot.din), outstanding, unverified)
             .join(Container, col(Container.id) == col(Label.container_id))
             .join(Lot, col(Lot.id) == col(Container.lot_id)))
    if lot_ids is not None:
        query = query.where(col(Lot.id).in_(lot_ids))
    else:
        # Both conditions read ix_label_status_verified_at.
        query = query.where(or_(col(Label.status) == LabelStatus.PRINTED.value,
                                and_(col(Label.status) == LabelStatus.APPLIED.value, col(Label.verified_at).is_(None))))
    query = query.group_by(col(Lot.id), col(Lot.din)).order_by(col(Lot.id))
    if limit is not None:
        query = query.limit(limit)
    return {lot_id: (din, int(out or 0), int(unv or 0)) for lot_id, din, out, unv in session.execute(query).all()}


def _labels(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    counts = _label_counts(session, None, limit=SECTION_LIMIT + 1)
    facts = [rules.LabelFacts(din, out, unv) for din, out, unv in counts.values()]
    return Section(Kind.LABELS_TO_RECONCILE, rules.label_items(facts[:SECTION_LIMIT]), len(facts) > SECTION_LIMIT)


def _custody_gaps(session: Session, lot_ids: Sequence[int], zone: tzinfo) -> dict[int, list[Text]]:
    """Breaks in the custody of each lot's aspirate bags, by the release gate's own rule (two queries)."""
    rows = session.execute(
        select(col(LotCollection.lot_id), col(Collection.din), col(CustodyEvent.handed_over_by),
               col(CustodyEvent.received_by), col(CustodyEvent.occurred_at))
        .join(Collection, col(Collection.id) == col(LotCollection.collection_id))
        .outerjoin(Container, and_(col(Container.collection_id) == col(Collection.id),
                                   col(Container.kind) == ContainerKind.ASPIRATE_BAG.value))
        .outerjoin(CustodyEvent, col(CustodyEvent.container_id) == col(Container.id))
        .where(col(LotCollection.lot_id).in_(lot_ids))
        .order_by(col(CustodyEvent.occurred_at), col(CustodyEvent.id))).all()
    hand_overs: dict[int, dict[str, list[release_gate.HandOver]]] = defaultdict(lambda: defaultdict(list))
    for lot_id, din, giver, receiver, at in rows:
        bags = hand_overs[lot_id][din]
        if giver is not None:
            bags.append(release_gate.HandOver(giver, receiver, at))
    people = {p for bags in hand_overs.values() for events in bags.values() for e in events
              for p in (e.giver, e.receiver)}
    names = {user_id: name for user_id, name in session.execute(
        select(col(User.id), col(User.full_name)).where(col(User.id).in_(people))).all()
        if user_id is not None} if people else {}
    gaps: dict[int, list[Text]] = {}
    for lot_id in lot_ids:
        collections = hand_overs.get(lot_id)
        if not collections:
            gaps[lot_id] = [_("the lot records no collection, so no chain of custody")]
            continue
        found: list[Text] = []
        for din in sorted(collections):
            for gap in release_gate.custody_gaps(collections[din], names=names, zone=zone):
                found.append(_("collection {din}: {gap}", din=din, gap=gap) if len(collections) > 1 else gap)
        gaps[lot_id] = found
    return gaps


def release_facts(*, session: Session, lots: Sequence[Lot], actor: Principal, now: datetime, zone: tzinfo
                  ) -> list[release_gate.ReleaseFacts]:
    """What the release gate judges about each lot, for `actor` as the releasing QA person, read for all of the
    lots together in a fixed number of queries.

    Not read: exceptions recorded after a record review (the release page judges those, lot by lot).
    """
    ids = [lot.id for lot in lots if lot.id is not None]
    if not ids:
        return []
    tested = _tests_of(session, lots)
    deviations = {lot_id: int(n) for lot_id, n in session.execute(
        select(col(Deviation.lot_id), func.count()).where(col(Deviation.lot_id).in_(ids),
                                                          col(Deviation.state) == DeviationState.OPEN.value)
        .group_by(col(Deviation.lot_id))).all()}
    labels = _label_counts(session, ids)
    reviewed = {lot_id: int(seq) for lot_id, seq in session.execute(
        select(col(LotRecordReview.lot_id), func.max(col(LotRecordReview.reviewed_through_seq)))
        .where(col(LotRecordReview.lot_id).in_(ids)).group_by(col(LotRecordReview.lot_id))).all()}
    recipients = {lot_id: (recipient_id or 0, withdrawn, protocol) for lot_id, recipient_id, withdrawn, protocol in
                  session.execute(
        select(col(Lot.id), col(Recipient.id), col(Recipient.consent_withdrawn_at), col(Recipient.protocol_id))
        .join(Therapy, col(Therapy.id) == col(Lot.therapy_id))
        .join(Recipient, col(Recipient.id) == col(Therapy.recipient_id)).where(col(Lot.id).in_(ids))).all()}
    recipient_ids = {r[0] for r in recipients.values()}
    eligible: dict[int, bool] = {}
    for recipient_id, verdict in session.execute(
            select(col(EligibilityAssessment.recipient_id), col(EligibilityAssessment.eligible))
            .where(col(EligibilityAssessment.recipient_id).in_(recipient_ids))
            .order_by(col(EligibilityAssessment.id))).all():
        eligible[recipient_id] = verdict  # the latest assessment comes last
    allergies: dict[int, list[str]] = defaultdict(list)
    for recipient_id, substance in session.execute(
            select(col(Allergy.recipient_id), col(Allergy.substance))
            .where(col(Allergy.recipient_id).in_(recipient_ids)).order_by(col(Allergy.id))).all():
        allergies[recipient_id].append(substance)
    gaps = _custody_gaps(session, ids, zone)
    performers: dict[str, set[int]] = defaultdict(set)
    for din, performer in session.execute(
            select(col(AuditEntry.entity_id), col(AuditEntry.actor_id)).where(
                col(AuditEntry.entity_type) == "lot", col(AuditEntry.entity_id).in_([lot.din for lot in lots]),
                col(AuditEntry.action).in_(PROCESSING_ACTIONS))).all():
        if performer is not None:
            performers[din].add(performer)
    out = []
    for lot in lots:
        assert lot.id is not None
        recipient_id, withdrawn, protocol = recipients[lot.id]
        _din, unaccounted, unverified = labels.get(lot.id, (lot.din, 0, 0))
        out.append(release_gate.ReleaseFacts(
            lot_din=lot.din, lot_state=lot.state, now=now, expires_at=lot.expires_at,
            specification=tested.specifications.get(lot.specification_id) if lot.specification_id else None,
            tests=tuple(release_gate.TestStanding(t.code, t.title, t.stage, t.status, t.conforms)
                        for t in tested.tests[lot.id]),
            open_deviations=deviations.get(lot.id, 0), labels_unaccounted=unaccounted, labels_unverified=unverified,
            custody_gaps=tuple(gaps.get(lot.id, ())),
            actor_id=actor.user_id, actor_is_qa=Role.QA in actor.roles, performers=frozenset(performers[lot.din]),
            recipient_eligible=eligible.get(recipient_id), consent_withdrawn=withdrawn is not None,
            pen_strep_allergies=tuple(eligibility.pen_strep_allergies(
                definition.load(protocol or DEFAULT_PROTOCOL), tuple(allergies[recipient_id]))),
            record_reviewed_through=reviewed.get(lot.id), zone=zone))
    return out


def _release(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    lots = _qc_lots(session, limit=RELEASE_LIMIT + 1, states=(LotState.IN_QC.value,))
    judged = release_facts(session=session, lots=lots[:RELEASE_LIMIT], actor=viewer, now=now, zone=zone)
    return Section(Kind.RELEASE_AWAITING, rules.release_items(judged), len(lots) > RELEASE_LIMIT)


def _deviations(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    rows = session.execute(
        select(col(Deviation.number), col(Lot.din), col(Deviation.opened_at), col(Deviation.description))
        .join(Lot, col(Lot.id) == col(Deviation.lot_id)).where(col(Deviation.state) == DeviationState.OPEN.value)
        .order_by(col(Deviation.opened_at), col(Deviation.id)).limit(SECTION_LIMIT + 1)).all()
    return Section(Kind.DEVIATION_OPEN, rules.deviation_items(
        [rules.DeviationFacts(*row) for row in rows[:SECTION_LIMIT]], now), len(rows) > SECTION_LIMIT)


def _lot_expiry(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    query = (select(col(Lot.din), col(Lot.state), col(Lot.expires_at), col(Lot.id))
             .where(col(Lot.expires_at) <= now + rules.LOT_EXPIRY_NOTICE))
    rows = session.execute(_first_in_each_state(query, col(Lot.state), OPEN_STATES,
                                                (col(Lot.expires_at), col(Lot.id)), SECTION_LIMIT + 1)).all()
    return Section(Kind.LOT_EXPIRING, rules.lot_expiry_items(
        [rules.ExpiringLotFacts(din, state, at) for din, state, at, _id in rows[:SECTION_LIMIT] if at is not None]),
        len(rows) > SECTION_LIMIT)


def _material_expiry(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    rows = session.execute(
        select(col(MaterialLot.code), col(MaterialLot.description), col(MaterialLot.status),
               col(MaterialLot.expires_at))
        .where(col(MaterialLot.expires_at) <= now + rules.MATERIAL_EXPIRY_NOTICE,
               col(MaterialLot.status) != MaterialStatus.REJECTED.value)
        .order_by(col(MaterialLot.expires_at), col(MaterialLot.id)).limit(SECTION_LIMIT + 1)).all()
    return Section(Kind.MATERIAL_EXPIRING, rules.material_items(
        [rules.MaterialFacts(*row) for row in rows[:SECTION_LIMIT]]), len(rows) > SECTION_LIMIT)


def _calibrations(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    rows = session.execute(
        select(col(Equipment.code), col(Equipment.description), col(Equipment.calibration_due))
        .where(col(Equipment.active).is_(True), col(Equipment.calibration_due) <= now + rules.CALIBRATION_NOTICE)
        .order_by(col(Equipment.calibration_due), col(Equipment.id)).limit(SECTION_LIMIT + 1)).all()
    return Section(Kind.CALIBRATION_DUE, rules.calibration_items(
        [rules.InstrumentFacts(*row) for row in rows[:SECTION_LIMIT]]), len(rows) > SECTION_LIMIT)


def _alerts(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    rows = session.execute(
        select(col(Lot.din), col(Alert.kind), col(Alert.message), col(Alert.raised_at))
        .join(Lot, col(Lot.id) == col(Alert.lot_id)).where(col(Alert.acknowledged_at).is_(None))
        .order_by(col(Alert.raised_at), col(Alert.id)).limit(SECTION_LIMIT + 1)).all()
    return Section(Kind.CLINIC_ALERT, rules.alert_items([rules.AlertFacts(*row) for row in rows[:SECTION_LIMIT]]),
                   len(rows) > SECTION_LIMIT)


# The lots the bedside gate lets a clinician infuse.
PLANNED_STATES = tuple(sorted(bedside_gate.INFUSIBLE_LOT_STATES))


def _infusions(session: Session, now: datetime, zone: tzinfo, viewer: Principal) -> Section:
    bags = func.sum(case((and_(col(Container.kind) == ContainerKind.FINAL_PRODUCT.value,
                               col(Container.status) == ContainerStatus.IN_USE.value), 1), else_=0))
    rows = session.execute(
        select(col(Lot.din), col(Therapy.coi), col(Lot.state), bags, col(Lot.expires_at))
        .join(Therapy, col(Therapy.id) == col(Lot.therapy_id))
        .outerjoin(Container, col(Container.lot_id) == col(Lot.id))
        .where(col(Lot.state).in_(PLANNED_STATES))
        .group_by(col(Lot.id), col(Lot.din), col(Therapy.coi), col(Lot.state), col(Lot.expires_at))
        .order_by(col(Lot.expires_at), col(Lot.id)).limit(SECTION_LIMIT + 1)).all()
    return Section(Kind.INFUSION_PLANNED, rules.infusion_items(
        [rules.InfusionFacts(din, coi, state, int(n or 0), at) for din, coi, state, n, at in rows[:SECTION_LIMIT]]),
        len(rows) > SECTION_LIMIT)


Loader = Callable[[Session, datetime, tzinfo, Principal], Section]
LOADERS: dict[Kind, Loader] = {
    Kind.CLINIC_ALERT: _alerts, Kind.COLLECTION_SCHEDULED: _scheduled, Kind.BAG_IN_TRANSIT: _bags,
    Kind.PROCESSING_DUE: _waiting, Kind.STEP_OPEN: _steps,
    Kind.QC_RESULTS_DUE: _qc, Kind.RELEASE_AWAITING: _release, Kind.DEVIATION_OPEN: _deviations,
    Kind.LABELS_TO_RECONCILE: _labels,
    Kind.INFUSION_PLANNED: _infusions, Kind.LOT_EXPIRING: _lot_expiry, Kind.MATERIAL_EXPIRING: _material_expiry,
    Kind.CALIBRATION_DUE: _calibrations,
}


def worklist(*, session: Session, viewer: Principal, zone: tzinfo, now: datetime | None = None) -> Worklist:
    """What is due for the viewer's roles now, by kind, each section the most urgent first."""
    moment = now or utcnow()
    sections = []
    for kind in rules.kinds_for(viewer.roles):
        section = LOADERS[kind](session, moment, zone, viewer)
        sections.append(Section(kind, rules.ordered(section.items), section.more))
    return Worklist(moment, sections)
