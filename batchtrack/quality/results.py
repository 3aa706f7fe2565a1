"""QC results: recorded by a QC analyst against the lot's specification version, the sample named by scanning its
label, and evaluated on entry. An out-of-specification result opens a deviation (which holds the lot); after
release, a failing post-release test (sterility) also raises an alert for the clinic. A result is never changed:
a correction is a new result that replaces it, with the reason, and the old one stays in the record."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.deviations import service as deviation_service
from batchtrack.enrolment import service as enrolment_service
from batchtrack.equipment import gates as equipment_gates
from batchtrack.errors import (
    AuditedRefusal,
    BadRequest,
    BatchtrackError,
    Conflict,
    Forbidden,
    GateRefused,
    IdentityMismatch,
    NotFound,
    Reason,
)
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import ENGLISH, Text, _
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.deviation import Deviation, DeviationOrigin
from batchtrack.models.equipment import Equipment
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.quality import Alert, QcResult, ResultStatus, Specification
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role, User
from batchtrack.notifications import events as notification_events
from batchtrack.processing import service as step_service
from batchtrack.protocols import definition
from batchtrack.qualifications import requirements as qualification_requirements
from batchtrack.qualifications import service as qualification_service
from batchtrack.quality import evaluation, gates, schemas, specifications, standing
from batchtrack.quality.evaluation import Evaluation, RecipientContext
from batchtrack.quality.specification import SpecTest
from batchtrack.scanning import service as scan_service
from batchtrack.scanning import verdict
from batchtrack.scanning.expectations import ResolvedContainer, StationExpectation, compare, describe

FORMULATION_STEP = "formulation"
VOLUME = "volume"
ALERT_KIND = "post_release_sterility_positive"
CONTEXT_MISSING = "result.context_missing"
_LIMIT_LENGTH = 200  # the column's width
# The gravest reason decides the status: who acts (403), then what is recorded (409), then what was entered (400).
_CONFLICTS = frozenset({"qc.no_specification", "qc.lot_state", "qc.lot_released", "result.final_exists"})


@dataclass(frozen=True, slots=True)
class Recorded:
    """A result just recorded, and the deviation and alert it raised (None when it conforms)."""

    result: QcResult
    deviation: Deviation | None
    alert: Alert | None
    message: Text


def formulated_volume(*, session: Session, lot: Lot) -> float | None:
    """The lot's formulated volume in mL (the value in force at formulation), None before it is recorded."""
    step = step_service.steps_of(session=session, lot=lot).get(FORMULATION_STEP)
    if step is None or step.id is None:
        return None
    value = step_service.current_values(session=session, step_ids=[step.id]).get((step.id, VOLUME))
    return value.value if value is not None else None


def recipient_context(*, session: Session, lot: Lot, on: date | None = None) -> RecipientContext:
    """What the lot's recipient-dependent limits need: the weight recorded within the protocol's visit window
    before `on` (today by default), the formulated volume, the prescription and the protocol's dose tolerance."""
    therapy = session.get(Therapy, lot.therapy_id)
    assert therapy is not None
    recipient = session.get(Recipient, therapy.recipient_id)
    assert recipient is not None
    limits = definition.load(recipient.protocol_id).limits if recipient.protocol_id else None
    weight = None
    if limits is not None:
        recorded = enrolment_service.weight_within(session=session, recipient=recipient,
                                                   days=limits.weight_visit_window_days, on=on or utcnow().date())
        weight = recorded.weight_kg if recorded is not None else None
    return RecipientContext(
        weight_kg=weight, volume_ml=formulated_volume(session=session, lot=lot),
        prescribed_cells_per_kg=therapy.prescribed_cells_per_kg,
        dose_tolerance_percent=limits.dose_tolerance_percent if limits is not None else None,
    )


def specification_of(*, session: Session, lot: Lot) -> Specification | None:
    """The specification version the lot is tested against (bound when it was submitted to QC)."""
    return session.get(Specification, lot.specification_id) if lot.specification_id is not None else None


def _refusal(message: Text, reasons: list[Reason], audit: AuditedRefusal) -> BatchtrackError:
    codes = [r.code for r in reasons]
    if "actor.role" in codes:
        return Forbidden(message, code="actor.role", reasons=reasons, audit=audit)
    conflicts = [code for code in codes if code in _CONFLICTS]
    if conflicts:
        return Conflict(message, code=conflicts[0], reasons=reasons, audit=audit)
    return BadRequest(message, code=codes[0], reasons=reasons, audit=audit)


def _audit(actor: Principal, lot: Lot, action: str, **details: Any) -> AuditedRefusal:
    return AuditedRefusal(actor, action, "lot", lot.din, details)


def _sample(session: Session, lot: Lot, raw: str, refusal: AuditedRefusal) -> ResolvedContainer:
    """The QC sample of `lot` whose label was scanned; a refusal naming what was scanned otherwise."""
    scanned = {"raw_escaped": verdict.escape_raw(raw), "raw_length": len(raw)}
    audit = AuditedRefusal(refusal.actor, "qc.sample_refused", "lot", lot.din, {**refusal.details, **scanned})
    container, unreadable = scan_service.scanned_container(session=session, raw=raw)
    if unreadable:
        raise BadRequest(_("the scan is not a readable QC sample label"), code="scan.unreadable",
                         reasons=unreadable, audit=audit)
    if container is None:
        raise NotFound(_("the scan names no recorded container: scan the QC sample's label"),
                       code="scan.not_found", audit=audit)
    reasons = compare(StationExpectation(lot_din=lot.din, container_kinds=frozenset({ContainerKind.QC_SAMPLE.value})),
                      container)
    if reasons:
        raise IdentityMismatch(
            _("{container} is not a QC sample of lot {din}", container=describe(container), din=lot.din),
            reasons=reasons,
            audit=AuditedRefusal(refusal.actor, audit.action, "lot", lot.din,
                                 {**audit.details, "scanned_lot": container.lot_din, "kind": container.kind}))
    return container


def _instrument(session: Session, code: str, refusal: AuditedRefusal) -> str:
    """The instrument's code, once it is known, in service and calibrated; empty when none is named."""
    compact = "".join(code.split()).upper()
    if not compact:
        return ""
    instrument = session.execute(select(Equipment).where(col(Equipment.code) == compact)).scalar_one_or_none()
    if instrument is None:
        raise NotFound(_("no instrument {code} is registered", code=compact[:20]), code="equipment.unknown",
                       audit=refusal)
    facts = equipment_gates.EquipmentFacts(code=instrument.code, kind=instrument.kind, active=instrument.active,
                                           calibration_due=instrument.calibration_due)
    # Any kind of instrument may serve a QC method: only its service and calibration are checked.
    reasons = equipment_gates.use_refusals(facts, kinds_needed=(instrument.kind,), now=utcnow())
    if reasons:
        raise GateRefused(_("instrument {code} cannot be used for a QC result", code=instrument.code),
                          reasons=reasons, audit=refusal)
    return instrument.code


def _judge(test: SpecTest, *, value: float | None, text: str, status: str, day: int | None,
           context: RecipientContext, refusal: AuditedRefusal) -> Evaluation:
    """Evaluate the result; one that cannot be judged as entered is refused, one that lacks the recipient's
    context is kept unjudged."""
    reasons = gates.form_refusals(test, value=value, text=text)
    judged = evaluation.evaluate(test, value=value, text=text, context=context)
    if not reasons and judged.conforms is None:
        reasons = [r for r in judged.reasons if r.code != CONTEXT_MISSING]
    reasons = reasons or gates.early_final_refusals(test, status=status, day=day, conforms=judged.conforms)
    if reasons:
        raise BadRequest(_("{test}: the result was not recorded", test=data_words(test.title)), code=reasons[0].code,
                         reasons=reasons, audit=refusal)
    return judged


def _limit_text(judged: Evaluation) -> str:
    if judged.conforms is not None:
        return judged.limit_text[:_LIMIT_LENGTH]
    why = "; ".join(r.message for r in judged.reasons)
    return f"{judged.limit_text}; not judged: {why}"[:_LIMIT_LENGTH]


def shown(row: QcResult) -> str:
    """A result as a person reads it: '0.8 EU/mL', 'no growth', 'below LOQ'."""
    if row.value is None:
        return row.result_text
    unit = f" {row.unit}" if row.unit else ""
    return f"{row.value:g}{unit}"


def _sample_name(session: Session, container_id: int | None) -> str | None:
    container = session.get(Container, container_id) if container_id is not None else None
    if container is None:
        return None
    return step_service.vessel_name(kind=container.kind, din=container.din, division=container.division,
                                    sample_flag=container.sample_flag)


def _recorded_values(session: Session, row: QcResult, spec: Specification) -> dict[str, Any]:
    return {"result_id": row.id, "specification": specifications.label(spec), "test": row.test_code,
            "status": row.status, "day": row.day, "value": row.value, "result_text": row.result_text,
            "unit": row.unit, "method": row.method, "instrument": row.instrument,
            "sample": _sample_name(session, row.sample_container_id), "conforms": row.conforms,
            "limit": row.limit_text}


def _released_as(lot: Lot) -> str | None:
    """The state the lot was released into (or went on to), None before its release."""
    if not gates.after_release(lot.state, lot.state_before_hold):
        return None
    return gates.testing_state(lot.state, lot.state_before_hold).replace("_", " ")


def _consequences(session: Session, actor: Principal, lot: Lot, test: SpecTest, row: QcResult, *,
                  released: str | None, already_failing: bool) -> tuple[Deviation | None, Alert | None]:
    """An out-of-specification result opens a deviation; after release, a failing post-release test also alerts
    the clinic. A result that replaces one already failing raises nothing new: that finding is open."""
    if row.conforms is not False or already_failing:
        return None, None
    therapy = session.get(Therapy, lot.therapy_id)
    assert therapy is not None and lot.id is not None
    alerting = released is not None and test.stage == gates.POST_RELEASE
    status = row.status + (f", day {row.day}" if row.day is not None else "")
    impact = ("The lot was already released: the clinic is alerted and QA investigates." if alerting else
              "Out of specification: QA investigates before any decision on the lot.")
    deviation = deviation_service.open_deviation(
        session=session, actor=actor, lot=lot, origin=DeviationOrigin.OUT_OF_LIMIT, impact=impact,
        description=(f"QC result out of specification: {test.title} {shown(row)} ({status}) against "
                     f"{row.limit_text}; {_sample_name(session, row.sample_container_id) or 'no sample named'}."),
    )
    notification_events.out_of_specification(session=session, lot=lot, test_title=test.title, result=shown(row),
                                             row=row, deviation=deviation)
    if not alerting:
        return deviation, None
    alert = Alert(lot_id=lot.id, kind=ALERT_KIND, deviation_id=deviation.id, message=(
        f"Lot {lot.din} (therapy {therapy.coi}) was {released} when its {test.title} "
        f"result came back positive: {shown(row)} ({status}). Deviation {deviation.number} is open. Inform the "
        "treating physician: the product may already have been infused."))
    session.add(alert)
    session.flush()
    audit_service.record(session=session, actor=actor, action="alert.raised", entity_type="lot", entity_id=lot.din,
                         new={"alert_id": alert.id, "kind": alert.kind, "deviation": deviation.number,
                              "test": test.code, "result_id": row.id})
    notification_events.positive_after_release(session=session, lot=lot, test_title=test.title, result=shown(row),
                                               row=row, deviation=deviation, released=released)
    return deviation, alert


def _message(test: SpecTest, row: QcResult, deviation: Deviation | None, alert: Alert | None) -> Text:
    what = _("{test}: {result} recorded ({status})", test=data_words(test.title), result=shown(row), status=row.status)
    if row.conforms is None:
        return _("{what}, not judged: {limit}", what=what, limit=row.limit_text)
    if row.conforms:
        return _("{what}; conforms to {limit}", what=what, limit=row.limit_text)
    out_of = _("{what}; OUT OF SPECIFICATION ({limit})", what=what, limit=row.limit_text)
    if deviation is not None and alert is not None:
        return _("{what}; deviation {number} opened; the clinic is alerted", what=out_of, number=deviation.number)
    if deviation is not None:
        return _("{what}; deviation {number} opened", what=out_of, number=deviation.number)
    return out_of


def _facts(lot: Lot, spec: Specification | None, test_code: str, test: SpecTest | None, status: str,
           day: int | None, final_in_force: bool, actor: Principal, correction: bool) -> gates.EntryFacts:
    return gates.EntryFacts(
        lot_din=lot.din, lot_state=lot.state, state_before_hold=lot.state_before_hold,
        specification=specifications.label(spec) if spec is not None else None, test_code=test_code, test=test,
        status=status, day=day, final_in_force=final_in_force, actor_is_analyst=Role.QC_ANALYST in actor.roles,
        correction=correction,
    )


def enter_result(*, session: Session, actor: Principal, din: str, data: schemas.QcResultCreate) -> Recorded:
    """Record a QC analyst's result of a test of the lot's specification on the scanned sample, evaluated now."""
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    spec = specification_of(session=session, lot=lot)
    test = specifications.content_of(spec).test(data.test_code) if spec is not None else None
    in_force = standing.results_in_force(session=session, lot=lot).get(data.test_code)
    refusal = _audit(actor, lot, "qc.result_refused", test=data.test_code, status=data.status)
    reasons = gates.entry_refusals(_facts(lot, spec, data.test_code, test, data.status, data.day,
                                          in_force is not None and in_force.status == ResultStatus.FINAL,
                                          actor, correction=False))
    if reasons:
        raise _refusal(_("no result of {test} can be recorded for lot {din}", test=data.test_code[:32], din=lot.din),
                       reasons, refusal)
    assert spec is not None and test is not None and spec.id is not None and lot.id is not None
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.qc_test(spec.code, test.code))
    sample = _sample(session, lot, data.scan, refusal)
    instrument = _instrument(session, data.instrument, refusal)
    judged = _judge(test, value=data.value, text=data.result_text, status=data.status, day=data.day,
                    context=recipient_context(session=session, lot=lot), refusal=refusal)
    released = _released_as(lot)
    assert actor.user_id is not None
    row = QcResult(lot_id=lot.id, specification_id=spec.id, test_code=test.code,
                   sample_container_id=sample.container_id, value=data.value, result_text=data.result_text,
                   unit=test.unit, status=data.status, day=data.day, method=data.method or test.method,
                   instrument=instrument, conforms=judged.conforms, limit_text=_limit_text(judged),
                   entered_by=actor.user_id)
    session.add(row)
    session.flush()
    audit_service.record(session=session, actor=actor, action="qc.result_entered", entity_type="lot",
                         entity_id=lot.din, new=_recorded_values(session, row, spec))
    deviation, alert = _consequences(session, actor, lot, test, row, released=released,
                                     already_failing=in_force is not None and in_force.conforms is False)
    return Recorded(row, deviation, alert, _message(test, row, deviation, alert))


def correct_result(*, session: Session, actor: Principal, din: str, result_id: int,
                   data: schemas.QcResultCorrection) -> Recorded:
    """Correct a recorded result: a new result that replaces it, evaluated again; the old one stays visible."""
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    old = session.get(QcResult, result_id)
    if old is None or old.lot_id != lot.id:
        raise NotFound(_("lot {din} has no QC result {result}", din=lot.din, result=result_id),
                       code="result.unknown")
    refusal = _audit(actor, lot, "qc.correction_refused", result_id=result_id, test=old.test_code)
    if not data.reason.strip():
        raise BadRequest(_("a correction of a QC result needs a reason"), code="reason_required",
                         reasons=[Reason("reason_required", _("say why the recorded result is wrong"))],
                         audit=refusal)
    later = session.execute(select(col(QcResult.id)).where(col(QcResult.replaces_id) == old.id)).scalar()
    if later is not None:
        raise Conflict(_("QC result {result} was already corrected by result {later}: correct that one",
                         result=old.id, later=later), code="result.already_corrected", audit=refusal)
    spec = session.get(Specification, old.specification_id)
    assert spec is not None and spec.id is not None and lot.id is not None and actor.user_id is not None
    test = specifications.content_of(spec).test(old.test_code)
    reasons = gates.entry_refusals(_facts(lot, spec, old.test_code, test, old.status, old.day, False, actor,
                                          correction=True))
    if reasons:
        raise _refusal(_("QC result {result} of lot {din} cannot be corrected", result=old.id, din=lot.din),
                       reasons, refusal)
    assert test is not None
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.qc_test(spec.code, test.code))
    sample_id = _sample(session, lot, data.scan, refusal).container_id if data.scan else old.sample_container_id
    instrument = _instrument(session, data.instrument, refusal) if data.instrument else old.instrument
    judged = _judge(test, value=data.value, text=data.result_text, status=old.status, day=old.day,
                    context=recipient_context(session=session, lot=lot), refusal=refusal)
    released = _released_as(lot)
    row = QcResult(lot_id=lot.id, specification_id=spec.id, test_code=old.test_code, sample_container_id=sample_id,
                   value=data.value, result_text=data.result_text, unit=old.unit, status=old.status, day=old.day,
                   method=data.method or old.method, instrument=instrument, conforms=judged.conforms,
                   limit_text=_limit_text(judged), entered_by=actor.user_id, replaces_id=old.id,
                   reason=data.reason.strip())
    session.add(row)
    session.flush()
    audit_service.record_correction(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                    old=_recorded_values(session, old, spec),
                                    new=_recorded_values(session, row, spec), reason=row.reason)
    deviation, alert = _consequences(session, actor, lot, test, row, released=released,
                                     already_failing=old.conforms is False)
    return Recorded(row, deviation, alert, _message(test, row, deviation, alert))


def _publics(session: Session, rows: list[QcResult]) -> list[schemas.QcResultPublic]:
    people = {r.entered_by for r in rows}
    names = dict(session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(people))).all())
    replaced_by = {r.replaces_id: r.id for r in rows if r.replaces_id is not None}
    samples: dict[int | None, str | None] = {}
    for row in rows:
        if row.sample_container_id not in samples:
            samples[row.sample_container_id] = _sample_name(session, row.sample_container_id)
    return [
        schemas.QcResultPublic(
            id=r.id or 0, test_code=r.test_code, status=r.status, day=r.day, value=r.value,
            result_text=r.result_text, unit=r.unit, method=r.method, instrument=r.instrument, conforms=r.conforms,
            limit_text=r.limit_text, sample=samples[r.sample_container_id], entered_by=names.get(r.entered_by, "?"),
            entered_at=r.entered_at, replaces_id=r.replaces_id, replaced_by_id=replaced_by.get(r.id or 0),
            reason=r.reason)
        for r in rows
    ]


def recorded_public(*, session: Session, recorded: Recorded,
                    translations: gettext.NullTranslations = ENGLISH) -> schemas.QcResultRecorded:
    """What the API answers after a result was recorded, its message in the language of `translations`."""
    return schemas.QcResultRecorded(
        message=recorded.message.shown_in(translations), result=_publics(session, [recorded.result])[0],
        deviation_number=recorded.deviation.number if recorded.deviation is not None else None,
        alert_id=recorded.alert.id if recorded.alert is not None else None)


def _limit_for_lot(test: SpecTest, context: RecipientContext) -> str:
    if test.kind in ("endotoxin", "dose"):
        return evaluation.evaluate(test, value=None, text="", context=context).limit_text
    return gates.specification_limit(test)


def alerts_of(*, session: Session, lot: Lot) -> list[schemas.AlertPublic]:
    """The alerts raised to the clinic about the lot, newest first."""
    rows = session.execute(select(Alert, Deviation).outerjoin(Deviation, col(Deviation.id) == col(Alert.deviation_id))
                           .where(col(Alert.lot_id) == lot.id).order_by(col(Alert.id).desc())).all()
    return [schemas.AlertPublic(id=a.id or 0, kind=a.kind, message=a.message,
                                deviation_number=d.number if d is not None else None, raised_at=a.raised_at,
                                acknowledged_at=a.acknowledged_at) for a, d in rows]


def results_of(*, session: Session, lot: Lot) -> schemas.LotQcPublic:
    """The lot's specification version and, for each of its tests, the limit for this lot, the result in force
    and every result recorded (preliminary, final, corrections), oldest first."""
    therapy = session.get(Therapy, lot.therapy_id)
    assert therapy is not None
    context = recipient_context(session=session, lot=lot)
    spec = specification_of(session=session, lot=lot)
    rows = list(session.execute(select(QcResult).where(col(QcResult.lot_id) == lot.id)
                                .order_by(col(QcResult.id))).scalars())
    publics = {p.id: p for p in _publics(session, rows)}
    in_force = {code: publics[row.id or 0] for code, row in standing.results_in_force(session=session,
                                                                                      lot=lot).items()}
    tests = []
    if spec is not None:
        for test in specifications.content_of(spec).tests:
            tests.append(schemas.TestResults(
                code=test.code, title=test.title, stage=test.stage, kind=test.kind, method=test.method,
                unit=test.unit, limit=_limit_for_lot(test, context), final_after_days=test.final_after_days,
                results=list(test.results), in_force=in_force.get(test.code),
                history=[p for p in publics.values() if p.test_code == test.code]))
    return schemas.LotQcPublic(
        lot_din=lot.din, lot_state=lot.state, therapy_coi=therapy.coi,
        specification=specifications.summaries(session=session, specs=[spec])[0] if spec is not None else None,
        context=schemas.ContextPublic(weight_kg=context.weight_kg, volume_ml=context.volume_ml,
                                      prescribed_cells_per_kg=context.prescribed_cells_per_kg,
                                      dose_tolerance_percent=context.dose_tolerance_percent),
        tests=tests, alerts=alerts_of(session=session, lot=lot),
    )
