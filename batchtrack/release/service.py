"""QA release (DESIGN.md section 4): the facts the gate judges, co-signatures of a release pending sterility,
the signed release or rejection, the certificate of analysis, and alerts to the clinic."""

from __future__ import annotations

import gettext
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import chain
from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.batch_record import formatting as fmt
from batchtrack.custody import service as custody_service
from batchtrack.db import checkpoint_after_commit
from batchtrack.deviations import service as deviation_service
from batchtrack.enrolment import service as enrolment_service
from batchtrack.errors import AuditedRefusal, BatchtrackError, Conflict, Forbidden, GateRefused, NotFound, Reason
from batchtrack.i18n.text import ENGLISH, Text, _
from batchtrack.identifiers import coi as coi_id
from batchtrack.labels import service as label_service
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.party import Recipient
from batchtrack.models.quality import (
    QcResult,
    ReleaseApproval,
    ReleaseDecision,
    ReleaseDecisionKind,
    Specification,
)
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role, User
from batchtrack.protocols import definition, eligibility
from batchtrack.qualifications import requirements as qualification_requirements
from batchtrack.qualifications import service as qualification_service
from batchtrack.quality import specifications, standing
from batchtrack.quality.specification import SpecTest
from batchtrack.release import gate, schemas
from batchtrack.review import record_review

# Who reads the release checklist: everyone but the courier, who sees COI identifiers only (the checklist
# names the recipient's hypersensitivities).
READERS = frozenset(Role) - {Role.COURIER}
RELEASERS = frozenset({Role.QA})
CO_SIGNERS = frozenset({Role.MEDICAL_DIRECTOR, Role.INVESTIGATOR})

_TRANSITION = {ReleaseDecisionKind.RELEASED: "release",
               ReleaseDecisionKind.RELEASED_PENDING_STERILITY: "release_pending_sterility",
               ReleaseDecisionKind.REJECTED: "reject"}
_WORDS = {ReleaseDecisionKind.RELEASED: "released",
          ReleaseDecisionKind.RELEASED_PENDING_STERILITY: "released pending sterility",
          ReleaseDecisionKind.REJECTED: "rejected"}


def _spec_label(spec: Specification | None) -> str | None:
    return f"{spec.code} v{spec.version}" if spec is not None else None


def _specification(session: Session, lot: Lot) -> Specification | None:
    return session.get(Specification, lot.specification_id) if lot.specification_id is not None else None


def _recipient(session: Session, lot: Lot) -> Recipient:
    recipient = session.execute(
        select(Recipient).join(Therapy, col(Therapy.recipient_id) == col(Recipient.id))
        .where(col(Therapy.id) == lot.therapy_id)
    ).scalar_one()
    return recipient


def names_of(session: Session, user_ids: set[int]) -> dict[int, str]:
    """Full names of users by id."""
    if not user_ids:
        return {}
    rows = session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(user_ids))).all()
    return {row[0]: row[1] for row in rows if row[0] is not None}


def _custody_gaps(session: Session, lot: Lot, zone: tzinfo) -> tuple[Text, ...]:
    """The gaps in the custody of the aspirate bag of each collection the lot is made from."""
    collections = session.execute(
        select(col(Collection.id), col(Collection.din))
        .join(LotCollection, col(LotCollection.collection_id) == col(Collection.id))
        .where(col(LotCollection.lot_id) == lot.id).order_by(col(Collection.din))
    ).all()
    if not collections:
        return (_("the lot records no collection, so no chain of custody"),)
    gaps: list[Text] = []
    for collection_id, din in collections:
        bags = list(session.execute(select(col(Container.id)).where(
            col(Container.collection_id) == collection_id,
            col(Container.kind) == ContainerKind.ASPIRATE_BAG.value)).scalars())
        events = custody_service.for_containers(session=session, container_ids=[b for b in bags if b is not None])
        names = names_of(session, {e.handed_over_by for e in events} | {e.received_by for e in events})
        found = gate.custody_gaps([gate.HandOver(e.handed_over_by, e.received_by, e.occurred_at) for e in events],
                                  names=names, zone=zone)
        gaps += [_("collection {din}: {gap}", din=din, gap=gap) if len(collections) > 1 else gap for gap in found]
    return tuple(gaps)


def _pen_strep(session: Session, recipient: Recipient) -> tuple[str, ...]:
    protocol = definition.load(recipient.protocol_id)
    allergies = enrolment_service.allergies_of(session=session, recipient=recipient)
    return tuple(eligibility.pen_strep_allergies(protocol, allergies))


def _approvals(session: Session, lot: Lot) -> list[ReleaseApproval]:
    return list(session.execute(
        select(ReleaseApproval).where(col(ReleaseApproval.lot_id) == lot.id).order_by(col(ReleaseApproval.id))
    ).scalars())


def facts(*, session: Session, lot: Lot, actor: Principal, zone: tzinfo = UTC) -> gate.ReleaseFacts:
    """Everything the release gate judges about `lot` and `actor`, read now, in the caller's transaction; its
    reasons name times in `zone`, the site's."""
    assert lot.id is not None
    reconciliation = label_service.reconcile(session=session, lot=lot)
    recipient = _recipient(session, lot)
    assessment = enrolment_service.latest_assessment(session=session, recipient=recipient)
    review = record_review.standing(session=session, lot=lot)
    return gate.ReleaseFacts(
        lot_din=lot.din, lot_state=lot.state, now=utcnow(), expires_at=lot.expires_at,
        specification=_spec_label(_specification(session, lot)),
        tests=standing.standings(session=session, lot=lot),
        open_deviations=deviation_service.open_count(session=session, lot_id=lot.id),
        labels_unaccounted=max(0, reconciliation.difference),
        labels_unverified=len(reconciliation.applied_unverified),
        custody_gaps=_custody_gaps(session, lot, zone),
        actor_id=actor.user_id, actor_is_qa=Role.QA in actor.roles,
        performers=lot_service.facts_for(session=session, lot=lot, actor=actor).performers,
        recipient_eligible=assessment.eligible if assessment is not None else None,
        consent_withdrawn=recipient.consent_withdrawn_at is not None,
        pen_strep_allergies=_pen_strep(session, recipient),
        co_signatures=frozenset(a.role for a in _approvals(session, lot)),
        record_reviewed_through=review.reviewed_through_seq, exceptions_since_review=len(review.outdating),
        zone=zone,
    )


def decision_of(*, session: Session, lot: Lot) -> ReleaseDecision | None:
    """QA's decision on the lot, if one is recorded."""
    return session.execute(
        select(ReleaseDecision).where(col(ReleaseDecision.lot_id) == lot.id)
    ).scalar_one_or_none()


def _result_content(result: QcResult) -> dict[str, Any]:
    return {"id": result.id, "test": result.test_code, "status": result.status, "value": result.value,
            "text": result.result_text, "unit": result.unit, "conforms": result.conforms,
            "limit": result.limit_text, "method": result.method, "entered_by": result.entered_by,
            "entered_at": result.entered_at}


def decision_content(*, lot_din: str, specification: str | None, decision: str, reason: str,
                     results: Sequence[QcResult]) -> dict[str, Any]:
    """What QA's release or rejection signature covers (pure): the lot, the specification version, each
    result in force and the decision."""
    return {"lot": lot_din, "specification": specification, "decision": decision, "reason": reason,
            "results": [_result_content(r) for r in sorted(results, key=lambda r: (r.test_code, r.id or 0))]}


def _signature_out(signature: Signature, intact: bool | None = None) -> schemas.SignatureOut:
    return schemas.SignatureOut(printed_name=signature.printed_name, meaning=signature.meaning,
                                signed_at=signature.signed_at, intact=intact)


def co_signature_content(*, lot_din: str, specification: str | None, role: str,
                         results: Sequence[QcResult]) -> dict[str, Any]:
    """What a co-signature of a release pending sterility covers (pure): the lot, the specification version, the
    role signing and each result in force."""
    return {"lot": lot_din, "specification": specification, "role": role,
            "approves": ReleaseDecisionKind.RELEASED_PENDING_STERILITY.value,
            "results": [_result_content(r) for r in sorted(results, key=lambda r: (r.test_code, r.id or 0))]}


def _signed_decision_content(session: Session, lot: Lot, decision: ReleaseDecision) -> dict[str, Any]:
    """What the decision's signature covers, from the result rows the decision recorded it was signed over."""
    conditions = json.loads(decision.conditions)
    ids = conditions.get("results", []) if isinstance(conditions, dict) else []
    rows = list(session.execute(select(QcResult).where(col(QcResult.id).in_(ids))).scalars()) if ids else []
    specification = conditions.get("specification") if isinstance(conditions, dict) else None
    return decision_content(lot_din=lot.din, specification=specification, decision=decision.decision,
                            reason=decision.reason, results=rows)


def decision_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What QA's decision signature covers, rebuilt from the decision it signed; None if no decision names it."""
    decision = session.execute(select(ReleaseDecision).where(col(ReleaseDecision.signature_id) == signature.id)
                               ).scalars().first()
    lot = session.get(Lot, decision.lot_id) if decision is not None else None
    if decision is None or lot is None:
        return None
    return _signed_decision_content(session, lot, decision)


def co_signature_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What a co-signature covers, rebuilt from its approval and the results in force when it was signed; None if
    no approval names it."""
    approval = session.execute(select(ReleaseApproval).where(col(ReleaseApproval.signature_id) == signature.id)
                               ).scalars().first()
    lot = session.get(Lot, approval.lot_id) if approval is not None else None
    if approval is None or lot is None:
        return None
    # Results entered since (a final sterility result, a correction) are not what was co-signed.
    results = standing.results_in_force(session=session, lot=lot, as_of=signature.signed_at)
    return co_signature_content(lot_din=lot.din, specification=_spec_label(_specification(session, lot)),
                                role=approval.role, results=list(results.values()))


def _decision_out(session: Session, lot: Lot, decision: ReleaseDecision) -> schemas.DecisionOut:
    """The decision with its signature, re-checked against the result rows it was signed over."""
    signature = session.get(Signature, decision.signature_id)
    assert signature is not None
    content = _signed_decision_content(session, lot, decision)
    conditions = json.loads(decision.conditions)
    specification = conditions.get("specification") if isinstance(conditions, dict) else None
    return schemas.DecisionOut(
        decision=decision.decision, specification=specification, reason=decision.reason,
        decided_at=decision.decided_at,
        signature=_signature_out(signature, signatures.intact(session=session, signature=signature, content=content)))


def decision_public(*, session: Session, lot: Lot) -> schemas.DecisionOut | None:
    """QA's decision on the lot with its signature (re-checked), if one is recorded."""
    decision = decision_of(session=session, lot=lot)
    return _decision_out(session, lot, decision) if decision is not None else None


def co_signatures(*, session: Session, lot: Lot) -> list[schemas.CoSignatureOut]:
    """The co-signatures recorded for the lot's release pending sterility."""
    out = []
    for approval in _approvals(session, lot):
        signature = session.get(Signature, approval.signature_id)
        assert signature is not None
        out.append(schemas.CoSignatureOut(role=approval.role, signature=_signature_out(signature)))
    return out


def summary(*, session: Session, lot: Lot, actor: Principal,
            translations: gettext.NullTranslations = ENGLISH, zone: tzinfo = UTC) -> schemas.ReleaseSummary:
    """The release checklist of `lot` for `actor`: the facts, and every unmet condition of each path, its
    messages in the language of `translations` and times in `zone`."""
    judged = facts(session=session, lot=lot, actor=actor, zone=zone)
    full, pending = gate.release_refusals(judged), gate.pending_sterility_refusals(judged)
    return schemas.ReleaseSummary(
        lot=lot_service.to_public(session=session, lot=lot), specification=judged.specification, now=judged.now,
        tests=[schemas.StandingOut(code=t.code, title=t.title, stage=t.stage, status=t.status, conforms=t.conforms)
               for t in judged.tests],
        open_deviations=judged.open_deviations, labels_unaccounted=judged.labels_unaccounted,
        labels_unverified=judged.labels_unverified,
        custody_gaps=[gap.shown_in(translations) for gap in judged.custody_gaps],
        you_performed_a_step=judged.actor_id is not None and judged.actor_id in judged.performers,
        recipient_eligible=judged.recipient_eligible, consent_withdrawn=judged.consent_withdrawn,
        pen_strep_allergies=list(judged.pen_strep_allergies),
        co_signatures=co_signatures(session=session, lot=lot),
        pending_sterility_possible=any(t.stage == "post_release" for t in judged.tests),
        release_refusals=[lot_schemas.ReasonOut(**r.as_dict(translations)) for r in full],
        pending_sterility_refusals=[lot_schemas.ReasonOut(**r.as_dict(translations)) for r in pending],
        may_release=not full, may_release_pending_sterility=not pending,
        decision=decision_public(session=session, lot=lot),
    )


def _refusal(message: Text, reasons: list[Reason], audit: AuditedRefusal, code: str) -> BatchtrackError:
    """The refusal with the status of its gravest reason: the role (403), else what is recorded (409)."""
    if any(r.code == "actor.role" for r in reasons):
        return Forbidden(message, code="actor.role", reasons=reasons, audit=audit)
    return GateRefused(message, code=code, reasons=reasons, audit=audit)


def _facts_json(judged: gate.ReleaseFacts, results: Sequence[QcResult]) -> str:
    data = asdict(judged)
    del data["zone"]  # how the reasons name times, not a fact judged
    data["performers"] = sorted(judged.performers)
    data["co_signatures"] = sorted(judged.co_signatures)
    data["custody_gaps"] = [str(gap) for gap in judged.custody_gaps]  # recorded in English, as the audit trail
    return chain.canonical_json({"facts": data, "specification": judged.specification,
                                 "results": sorted(r.id for r in results if r.id is not None)})


def _decide(session: Session, actor: Principal, lot: Lot, judged: gate.ReleaseFacts, kind: ReleaseDecisionKind,
            username: str, password: str, reason: str) -> ReleaseDecision:
    """Sign the decision, record it (the database allows one per lot) and move the lot."""
    assert lot.id is not None and actor.user_id is not None
    results = list(standing.results_in_force(session=session, lot=lot).values())
    meaning = SignatureMeaning.REJECTED if kind == ReleaseDecisionKind.REJECTED else SignatureMeaning.RELEASED
    signature = signatures.sign(
        session=session, signer=actor, username=username, password=password, meaning=meaning, entity_type="lot",
        entity_id=lot.din,
        content=decision_content(lot_din=lot.din, specification=judged.specification, decision=kind.value,
                                 reason=reason, results=results))
    assert signature.id is not None
    decision = ReleaseDecision(lot_id=lot.id, decision=kind.value, specification_id=lot.specification_id,
                               signature_id=signature.id, decided_by=actor.user_id, decided_at=signature.signed_at,
                               reason=reason, conditions=_facts_json(judged, results))
    # Read before the insert: a failed flush leaves the session unusable until the request rolls it back.
    din, state = lot.din, lot.state
    session.add(decision)
    try:
        session.flush()
    except IntegrityError as exc:
        # The lock on the lot serialises decisions; the unique lot_id is the database's backstop.
        message = _("lot {din} already has a QA decision; nothing was changed", din=din)
        raise Conflict(message, code="release.already_decided",
                       reasons=[Reason("release.already_decided", message)],
                       audit=AuditedRefusal(actor, "release.refused", "lot", din,
                                            {"decision": kind.value, "state": state})) from exc
    lot_service.transition(session=session, actor=actor, din=lot.din, name=_TRANSITION[kind],
                           reason=reason or f"QA decision: {_WORDS[kind]}", signed_decision=True)
    audit_service.record(
        session=session, actor=actor, action=f"release.{kind.value}", entity_type="lot", entity_id=lot.din,
        new={"decision": kind.value, "signature_id": signature.id, "specification": judged.specification,
             "results": sorted(r.id for r in results if r.id is not None),
             "co_signatures": sorted(judged.co_signatures)},
        reason=reason,
    )
    checkpoint_after_commit(session, f"release decision: lot {lot.din} {kind.value}")
    return decision


def _cannot_release(kind: ReleaseDecisionKind, din: str, unmet: int) -> Text:
    """Why the lot cannot be released (or released pending sterility): how many conditions are unmet."""
    if kind == ReleaseDecisionKind.RELEASED_PENDING_STERILITY:
        return _("lot {din} cannot be released pending sterility: {count} condition(s) unmet", din=din, count=unmet)
    return _("lot {din} cannot be released: {count} condition(s) unmet", din=din, count=unmet)


def release(*, session: Session, actor: Principal, din: str, username: str, password: str,
            pending_sterility: bool, zone: tzinfo = UTC) -> ReleaseDecision:
    """Release the lot (or release it pending sterility) as QA's signed decision, if no condition is unmet.

    The lot row is locked and the facts are gathered in this same transaction: two releases at once are served
    one after the other, and anything that changed since the page was shown is judged as it is now.
    """
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    kind = ReleaseDecisionKind.RELEASED_PENDING_STERILITY if pending_sterility else ReleaseDecisionKind.RELEASED
    judged = facts(session=session, lot=lot, actor=actor, zone=zone)
    reasons = gate.pending_sterility_refusals(judged) if pending_sterility else gate.release_refusals(judged)
    if reasons:
        raise _refusal(_cannot_release(kind, lot.din, len(reasons)), reasons,
                       AuditedRefusal(actor, "release.refused", "lot", lot.din,
                                      {"decision": kind.value, "state": lot.state}), "release.refused")
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.RELEASE_DECISION)
    return _decide(session, actor, lot, judged, kind, username, password, reason="")


def reject(*, session: Session, actor: Principal, din: str, username: str, password: str,
           reason: str, zone: tzinfo = UTC) -> ReleaseDecision:
    """Reject the lot as QA's signed decision, with the reason."""
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    judged = facts(session=session, lot=lot, actor=actor, zone=zone)
    reasons = gate.rejection_refusals(judged, reason=reason)
    if reasons:
        raise _refusal(_("lot {din} cannot be rejected", din=lot.din), reasons,
                       AuditedRefusal(actor, "release.reject_refused", "lot", lot.din, {"state": lot.state}),
                       "release.reject_refused")
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.RELEASE_DECISION)
    return _decide(session, actor, lot, judged, ReleaseDecisionKind.REJECTED, username, password,
                   reason=reason.strip())


def co_sign(*, session: Session, actor: Principal, din: str, role: str, username: str,
            password: str) -> ReleaseApproval:
    """Co-sign the lot's release pending sterility (meaning: approved), as medical director or treating physician."""
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    assert lot.id is not None
    reasons = gate.co_signature_refusals(
        lot_din=lot.din, lot_state=lot.state, role=role, actor_roles=frozenset(r.value for r in actor.roles),
        actor_id=actor.user_id, signed_by={a.role: a.signed_by for a in _approvals(session, lot)})
    audit = AuditedRefusal(actor, "release.co_sign_refused", "lot", lot.din, {"role": role, "state": lot.state})
    if reasons:
        raise _refusal(_("the release of lot {din} pending sterility cannot be co-signed", din=lot.din), reasons, audit,
                       "release.co_sign_refused")
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.RELEASE_CO_SIGNATURE)
    assert actor.user_id is not None
    specification = _spec_label(_specification(session, lot))
    results = list(standing.results_in_force(session=session, lot=lot).values())
    content = co_signature_content(lot_din=lot.din, specification=specification, role=role, results=results)
    signature = signatures.sign(session=session, signer=actor, username=username, password=password,
                                meaning=SignatureMeaning.APPROVED, entity_type="lot", entity_id=lot.din,
                                content=content)
    assert signature.id is not None
    approval = ReleaseApproval(lot_id=lot.id, role=role, signature_id=signature.id, signed_by=actor.user_id,
                               signed_at=signature.signed_at)
    message = gate.already_co_signed(role, lot.din)
    session.add(approval)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, code="release.co_signature_exists",
                       reasons=[Reason("release.co_signature_exists", message)], audit=audit) from exc
    audit_service.record(session=session, actor=actor, action="release.co_signed", entity_type="lot",
                         entity_id=lot.din, new={"role": role, "signature_id": signature.id,
                                                 "specification": specification})
    return approval


def certificate(*, session: Session, din: str) -> schemas.CertificatePublic:
    """The certificate of analysis of a lot QA has decided on; NotFound before a decision."""
    lot = lot_service.get_by_din(session=session, din=din)
    decision = decision_of(session=session, lot=lot)
    if decision is None:
        raise NotFound(_("lot {din} has no QA decision yet: no certificate of analysis is issued", din=lot.din),
                       code="certificate.not_issued")
    spec = session.get(Specification, decision.specification_id) if decision.specification_id else None
    if spec is None:
        raise NotFound(_("lot {din} was decided without a specification: no certificate of analysis", din=lot.din),
                       code="certificate.no_specification")
    results = standing.results_in_force(session=session, lot=lot)
    names = names_of(session, {r.entered_by for r in results.values()})
    tests = []
    for test in specifications.content_of(spec).tests:
        result = results.get(test.code)
        tests.append(schemas.CertificateTest(
            code=test.code, title=test.title, stage=test.stage, method=result.method if result else test.method,
            limit=result.limit_text if result and result.limit_text else _limit_of(test),
            result=_result_text(result), conforms=result.conforms if result else None,
            status=result.status if result else None, entered_at=result.entered_at if result else None,
            analyst=names.get(result.entered_by, "") if result else "",
            after_decision=result is not None and result.entered_at > decision.decided_at))
    public = lot_service.to_public(session=session, lot=lot)
    return schemas.CertificatePublic(
        din=public.din, din_check=public.din_check, din_eye_readable=public.din_eye_readable,
        therapy_coi=public.therapy_coi, therapy_coi_check=coi_id.parse(public.therapy_coi).check,
        subject_code=public.subject_code, product_code=public.product_code, lot_state=public.state,
        expires_at=public.expires_at, specification_code=spec.code, specification_version=spec.version,
        specification_title=spec.title, tests=tests, decision=_decision_out(session, lot, decision),
        co_signatures=co_signatures(session=session, lot=lot), generated_at=utcnow(),
    )


def _limit_of(test: SpecTest) -> str:
    if test.kind == "qualitative":
        return " or ".join(test.expected)
    return "set on entry (depends on the recipient)" if test.kind in ("endotoxin", "dose") else "-"


def _result_text(result: QcResult | None) -> str:
    if result is None:
        return "no result"
    if result.value is None:
        return result.result_text or "-"
    value = fmt.quantity(result.value, result.unit)
    return f"{value} ({result.result_text})" if result.result_text else value
